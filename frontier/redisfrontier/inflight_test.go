package redisfrontier

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trawl-crawler/trawl/frontier"
	"github.com/trawl-crawler/trawl/internal/redistest"
)

// sentScripts signals on sent each time a client sends a run of the
// script whose SHA1 is sha, and on refused each time that run's reply is
// "out of order" ({-3, ...}).
type sentScripts struct {
	sha           string
	sent, refused chan struct{}
}

func (s *sentScripts) DialHook(next redis.DialHook) redis.DialHook { return next }
func (s *sentScripts) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		a := cmd.Args()
		mine := len(a) > 1 && a[1] == s.sha
		if mine {
			s.sent <- struct{}{}
		}
		err := next(ctx, cmd)
		if c, ok := cmd.(*redis.Cmd); ok && mine && err == nil {
			if r, _ := c.Slice(); len(r) > 0 && r[0] == int64(-3) {
				s.refused <- struct{}{}
			}
		}
		return err
	}
}
func (s *sentScripts) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// Two completion batches are out at once: while Redis holds batch A
// (CLIENT PAUSE WRITE holds scripts), batch B, queued meanwhile, is sent
// too, not once A is answered; both commit, callbacks in order, and the
// checkpoint is B's (the later one) in Redis and in the worker. One batch
// at a time (before), B was never sent while A was held.
func TestTwoCommitsInFlight(t *testing.T) {
	srv := redistest.Start(t)
	newCrawl(t, srv, Globals{PerHost: 4})
	ctx := context.Background()
	admin := dialTest(t, srv)
	var (
		mu     sync.Mutex
		order  []string
		f      *Frontier
		lb     frontier.Lease
		calls  int
		paused = make(chan struct{})
	)
	done := make(chan struct{}, 2)
	settled := func(name string) func(error) {
		return func(err error) {
			if err != nil {
				t.Error(name, err)
			}
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
			done <- struct{}{}
		}
	}
	before := func() error {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n == 1 {
			// A's round trip will wait in Redis; B is queued before A leaves.
			if err := admin.Do(ctx, "CLIENT", "PAUSE", 10_000, "WRITE").Err(); err != nil {
				return err
			}
			close(paused)
			f.CompleteAsync(frontier.Completion{Lease: lb, Outcome: frontier.Done, Checkpoint: []byte("cp2")}, settled("B"))
		}
		return nil
	}
	var err error
	f, err = Open(ctx, Options{URL: srv.URL(), Crawl: "t", WorkerID: "w1", LeaseTTL: time.Minute, BeforeCommit: before})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Add(ctx, items("a", 2, 0)); err != nil {
		t.Fatal(err)
	}
	la := mustNext(t, f)
	lb = mustNext(t, f)
	if err := scriptComplete.Load(ctx, f.cl).Err(); err != nil {
		t.Fatal(err)
	}
	hook := &sentScripts{sha: scriptComplete.Hash(), sent: make(chan struct{}, 8), refused: make(chan struct{}, 8)}
	f.cl.AddHook(hook)
	f.CompleteAsync(frontier.Completion{Lease: la, Outcome: frontier.Done, Checkpoint: []byte("cp1")}, settled("A"))
	<-paused
	for i := range 2 {
		select {
		case <-hook.sent:
		case <-time.After(10 * time.Second):
			t.Fatalf("%d completion batches sent while Redis held the first, want 2 (both out at once)", i)
		}
	}
	if err := admin.Do(ctx, "CLIENT", "UNPAUSE").Err(); err != nil {
		t.Fatal(err)
	}
	<-done
	<-done
	mu.Lock()
	got := order
	mu.Unlock()
	if len(got) != 2 || got[0] != "A" || got[1] != "B" {
		t.Errorf("callbacks ran %v, want [A B]", got)
	}
	if cp := string(f.Checkpoint()); cp != "cp2" {
		t.Errorf("worker's checkpoint %q, want the later batch's cp2", cp)
	}
	if cp, err := admin.HGet(ctx, f.p+"cp", "w1").Result(); err != nil || cp != "cp2" {
		t.Errorf("checkpoint in Redis %q (%v), want cp2", cp, err)
	}
	if s, err := readStats(ctx, f.cl, f.p); err != nil || s.Done != 2 || s.Leased != 0 {
		t.Errorf("stats %+v (%v), want 2 done, 0 leased", s, err)
	}
}

// A batch that reaches Redis before the one before it was committed is
// refused whole ("out of order": its completions, checkpoint and the slot
// releases it carries are not written) and sent again once that one is
// answered: then it commits, and the checkpoint only moved forward.
func TestOutOfOrderBatchWaitsForItsPredecessor(t *testing.T) {
	srv := startCrawl(t, Globals{PerHost: 4})
	ctx := context.Background()
	f := openWith(t, srv, Options{WorkerID: "w1", LeaseTTL: time.Minute})
	mustAdd(t, f, items("a", 2, 0)...)
	la, lb := mustNext(t, f), mustNext(t, f)
	// lb's slot release, pending without waking the writer (which would
	// send it alone after releaseLinger): B takes it along.
	f.mu.Lock()
	li := f.leases[lb.URL]
	li.released = true
	f.rel = append(f.rel, li.e.seq)
	f.mu.Unlock()
	batch := func(l frontier.Lease, cp string) ([]compReq, prepared) {
		f.mu.Lock()
		b := []compReq{{c: frontier.Completion{Lease: l, Outcome: frontier.Done, Checkpoint: []byte(cp)}, li: f.leases[l.URL], done: func(error) {}}}
		f.mu.Unlock()
		pb, err := f.prepare(b)
		if err != nil {
			t.Fatal(err)
		}
		return b, pb
	}
	ba, pa := batch(la, "cp1")
	bb, pbb := batch(lb, "cp2")
	f.number(&pa)
	f.number(&pbb)
	// Loaded, so that every run is an EVALSHA the hook knows.
	if err := scriptComplete.Load(ctx, f.cl).Err(); err != nil {
		t.Fatal(err)
	}
	hook := &sentScripts{sha: scriptComplete.Hash(), sent: make(chan struct{}, 8), refused: make(chan struct{}, 8)}
	f.cl.AddHook(hook)
	after := make(chan struct{})
	errB := make(chan error, 1)
	go func() { errB <- f.send(bb, pbb, after) }() // B first: Redis has committed nothing
	select {
	case <-hook.refused:
	case err := <-errB:
		t.Fatalf("B, sent before A was committed, was not refused (err %v)", err)
	}
	st, err := readStats(ctx, f.cl, f.p)
	if err != nil {
		t.Fatal(err)
	}
	onw, _ := f.cl.HGet(ctx, f.p+"h:a", "onwire").Int()
	if st.Done != 0 || st.Leased != 2 || onw != 2 {
		t.Fatalf("after B was refused: %+v, on wire %d; want nothing written (0 done, 2 leased, 2 on wire)", st, onw)
	}
	if err := f.send(ba, pa, nil); err != nil {
		t.Fatal(err)
	}
	close(after)
	if err := <-errB; err != nil {
		t.Fatalf("B sent again after A: %v", err)
	}
	if cp, _ := f.cl.HGet(ctx, f.p+"cp", "w1").Result(); cp != "cp2" || string(f.Checkpoint()) != "cp2" {
		t.Errorf("checkpoint %q in Redis, %q in the worker; want cp2", cp, f.Checkpoint())
	}
	if st, _ := readStats(ctx, f.cl, f.p); st.Done != 2 || st.Leased != 0 {
		t.Errorf("after both: %+v, want 2 done, 0 leased", st)
	}
	if n := len(hook.sent); n != 3 {
		t.Errorf("%d runs of the complete script, want 3 (B refused, A, B again)", n)
	}
}
