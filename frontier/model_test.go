package frontier

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// The model test is bbolt's simulation test applied to the frontier: random
// operations (Add, Next, ReleaseSlot, each completion outcome with children,
// a stale completion, reopen) run against the real frontier and against a
// plain in-memory model of what it must do, and after every operation the
// two must agree: the counters, Drained, each host's in-flight and queued
// counts, whether anything is leasable and how long until something is,
// and which URL a lease may be (a due retry first, then the lowest depth,
// then the order of Add). Recount checks the file against the counters
// every few steps. TRAWL_MODEL_SEED replays a run; TRAWL_MODEL_STEPS
// lengthens it.

// mURL is the model's view of one URL.
type mURL struct {
	host     string
	depth    int
	seq      int // order of first Add: FIFO within a host
	state    byte
	attempt  int
	retryAt  time.Time // due time while queued after a Retry (zero: due)
	inRetry  bool      // queued in the host's retry order (a due retry comes first)
	onWire   bool      // leased and holding its host's slot
	lease    Lease     // the current lease while leased
	leasedAt time.Time
}

const (
	mQueued byte = iota + 1
	mLeased
	mDone
	mFailed
	mSkipped
	mDeferred
)

// model is the frontier as a map and counters.
type model struct {
	perHost int
	urls    map[string]*mURL
	hosts   map[string]bool
	seq     int
	stats   Stats
	cp      string
	// deferred hosts since the last Open or RequeueDeferred
	// (HostUpdate.Defer): their new, retried and released URLs are
	// deferred too.
	deferred map[string]bool
}

// counter is the Stats counter of the URLs in state st (nil for none: a
// URL not yet added).
func (m *model) counter(st byte) *int64 {
	return [...]*int64{mQueued: &m.stats.Queued, mLeased: &m.stats.Leased, mDone: &m.stats.Done,
		mFailed: &m.stats.Failed, mSkipped: &m.stats.Skipped, mDeferred: &m.stats.Deferred}[st]
}

// move puts u in state to and moves it between the two states' counters:
// the one place the model's counters follow its URLs.
func (m *model) move(u *mURL, to byte) {
	if c := m.counter(u.state); c != nil {
		*c--
	}
	*m.counter(to)++
	u.state = to
}

func (m *model) add(items []Item) int {
	n := 0
	for _, it := range items {
		if _, ok := m.urls[it.URL]; ok {
			continue
		}
		m.seq++
		u := &mURL{host: it.Host, depth: it.Depth, seq: m.seq}
		m.urls[it.URL] = u
		if !m.hosts[it.Host] {
			m.hosts[it.Host] = true
			m.stats.Hosts++
		}
		if m.deferred[it.Host] {
			m.move(u, mDeferred)
		} else {
			m.move(u, mQueued)
		}
		n++
	}
	return n
}

// slots is how many of host's leases hold a request slot.
func (m *model) slots(host string) int {
	n := 0
	for _, u := range m.urls {
		if u.host == host && u.state == mLeased && u.onWire {
			n++
		}
	}
	return n
}

// wantNext says whether a lease is possible at now and, if not, the wait
// the frontier must report; ok=true comes with the set of URLs a lease may
// be (the head of each eligible host).
func (m *model) wantNext(now time.Time) (heads map[string]bool, wait time.Duration) {
	heads = map[string]bool{}
	type best struct {
		url string
		u   *mURL
	}
	byHost := map[string]*best{}
	var earliest time.Time
	for url, u := range m.urls {
		if u.state != mQueued || m.slots(u.host) >= m.perHost {
			continue
		}
		if u.retryAt.After(now) {
			if earliest.IsZero() || u.retryAt.Before(earliest) {
				earliest = u.retryAt
			}
			continue
		}
		b := byHost[u.host]
		if b == nil || before(u, b.u) {
			byHost[u.host] = &best{url, u}
		}
	}
	for _, b := range byHost {
		heads[b.url] = true
	}
	if len(heads) == 0 && !earliest.IsZero() {
		wait = earliest.Sub(now)
	}
	return heads, wait
}

// before orders two due URLs of one host as Next must: a retry first
// (earlier retry time, then seq), then lower depth, then seq.
func before(a, b *mURL) bool {
	if a.inRetry != b.inRetry {
		return a.inRetry
	}
	if a.inRetry {
		if !a.retryAt.Equal(b.retryAt) {
			return a.retryAt.Before(b.retryAt)
		}
		return a.seq < b.seq
	}
	if a.depth != b.depth {
		return a.depth < b.depth
	}
	return a.seq < b.seq
}

func TestModel(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("TRAWL_MODEL_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	steps := 3000
	if testing.Short() {
		steps = 500
	}
	if s := os.Getenv("TRAWL_MODEL_STEPS"); s != "" {
		steps, _ = strconv.Atoi(s)
	}
	t.Logf("seed %d (TRAWL_MODEL_SEED=%d replays it), %d steps", seed, seed, steps)
	rng := rand.New(rand.NewPCG(seed, 0x7e57))
	path := filepath.Join(t.TempDir(), "model.db")
	const perHost = 2
	opts := Options{PerHost: perHost, NoSync: true, MaxBatchDelay: 50 * time.Microsecond}
	f, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { f.Close() }()
	m := &model{perHost: perHost, urls: map[string]*mURL{}, hosts: map[string]bool{}, deferred: map[string]bool{}}
	now := t0
	ctx := context.Background()
	var stale []Lease // leases spent by a completion or a reopen
	randItem := func() Item {
		h := "h" + strconv.Itoa(rng.IntN(5))
		return Item{URL: fmt.Sprintf("http://%s/%d", h, rng.IntN(60)), Host: h, Depth: rng.IntN(4)}
	}
	leased := func() []*mURL {
		var out []*mURL
		for _, u := range m.urls {
			if u.state == mLeased {
				out = append(out, u)
			}
		}
		// Map order is random; sort for a replayable choice.
		sortBySeq(out)
		return out
	}
	ops := map[string]int{}
	for step := range steps {
		var op string
		switch r := rng.IntN(100); {
		case r < 20:
			op = "add"
			items := make([]Item, 1+rng.IntN(6))
			for i := range items {
				items[i] = randItem()
			}
			want := m.add(items)
			n, err := f.Add(ctx, items)
			if err != nil || n != want {
				t.Fatalf("step %d: Add %v = %d, %v; model says %d new", step, items, n, err, want)
			}
		case r < 55:
			op = "next"
			heads, wantWait := m.wantNext(now)
			l, ok, wait, err := f.Next(now)
			for !ok && err == nil && wait == time.Millisecond && (len(heads) > 0 || wantWait != time.Millisecond) {
				time.Sleep(wait) // "ask again": a refill awaits the writer
				l, ok, wait, err = f.Next(now)
			}
			if err != nil {
				t.Fatalf("step %d: Next: %v", step, err)
			}
			if ok != (len(heads) > 0) {
				t.Fatalf("step %d: Next at +%v: ok=%v (%s), model says leasable %v", step, now.Sub(t0), ok, l.URL, heads)
			}
			if !ok {
				if wait != wantWait {
					t.Fatalf("step %d: Next at +%v: wait %v, model says %v", step, now.Sub(t0), wait, wantWait)
				}
				break
			}
			if !heads[l.URL] {
				t.Fatalf("step %d: leased %s (depth %d); the model's heads are %v\nthe model's queue of %s:\n%s", step, l.URL, l.Depth, heads, l.Host, m.dump(l.Host))
			}
			u := m.urls[l.URL]
			if l.Host != u.host || l.Depth != u.depth || l.Attempt != u.attempt {
				t.Fatalf("step %d: lease %+v, model has %+v", step, l, *u)
			}
			m.move(u, mLeased)
			u.onWire, u.lease, u.leasedAt = true, l, now
		case r < 62:
			op = "release-slot"
			if ls := leased(); len(ls) > 0 {
				u := ls[rng.IntN(len(ls))]
				f.ReleaseSlot(u.lease)
				u.onWire = false
			}
		case r < 92:
			op = "complete"
			ls := leased()
			if len(ls) == 0 {
				break
			}
			u := ls[rng.IntN(len(ls))]
			c := Completion{Lease: u.lease, Status: 200}
			switch p := rng.IntN(10); {
			case p < 4:
				c.Outcome, c.Bytes = Done, int64(1+rng.IntN(1000))
				c.Checkpoint = []byte(strconv.Itoa(step))
				for range rng.IntN(4) {
					it := randItem()
					it.Depth = u.depth + 1
					it.Parent = u.lease.URL
					c.Children = append(c.Children, it)
				}
			case p < 5:
				c.Outcome = Failed
			case p < 6:
				c.Outcome = Skipped
			case p < 8:
				c.Outcome, c.RetryAt = Retry, now.Add(time.Duration(rng.IntN(5000))*time.Millisecond)
			case p < 9:
				c.Outcome = Release
			default:
				c.Outcome, c.Reason = Deferred, "a wait past --max-wait"
			}
			op = "complete-" + strconv.Itoa(int(c.Outcome))
			if err := f.Complete(ctx, c); err != nil {
				t.Fatalf("step %d: Complete %s outcome %d: %v", step, u.lease.URL, c.Outcome, err)
			}
			stale = append(stale, u.lease)
			u.onWire = false
			if m.deferred[u.host] && (c.Outcome == Retry || c.Outcome == Release) {
				c.Outcome = Deferred // nothing of a deferred host is queued
			}
			m.move(u, map[Outcome]byte{Done: mDone, Failed: mFailed, Skipped: mSkipped, Retry: mQueued, Release: mQueued, Deferred: mDeferred}[c.Outcome])
			switch c.Outcome {
			case Done:
				m.stats.Bytes += c.Bytes
				m.cp = string(c.Checkpoint)
				m.add(c.Children)
			case Retry:
				u.retryAt, u.inRetry = c.RetryAt, true
				u.attempt++
				m.stats.Retries++
			}
			if c.Outcome != Retry { // a Release goes back to the main order, due at once
				u.retryAt, u.inRetry = time.Time{}, false
			}
		case r < 95:
			op = "stale-complete"
			if len(stale) == 0 {
				break
			}
			l := stale[rng.IntN(len(stale))]
			if m.urls[l.URL].state == mLeased {
				// A lease carries no id of its own: after a Release its URL
				// is leased again with the same epoch and attempt, and the
				// spent lease cannot be told from the current one.
				break
			}
			if err := f.Complete(ctx, Completion{Lease: l, Outcome: Done}); !errors.Is(err, ErrStaleLease) {
				t.Fatalf("step %d: completing spent lease %+v: %v, want ErrStaleLease", step, l, err)
			}
		case r < 96:
			op = "defer-host"
			h := "h" + strconv.Itoa(rng.IntN(5))
			if err := f.UpdateHost(ctx, h, HostUpdate{Defer: "test deferral"}); err != nil {
				t.Fatalf("step %d: defer %s: %v", step, h, err)
			}
			if !m.hosts[h] { // a host update makes the host known
				m.hosts[h] = true
				m.stats.Hosts++
			}
			if !m.deferred[h] {
				m.deferred[h] = true
				for _, u := range m.urls {
					if u.host == h && u.state == mQueued {
						m.move(u, mDeferred)
						u.retryAt, u.inRetry = time.Time{}, false
					}
				}
			}
		case r < 97:
			op = "requeue-deferred"
			want := 0
			for _, u := range m.urls {
				if u.state == mDeferred {
					m.move(u, mQueued)
					u.retryAt, u.inRetry = time.Time{}, false
					want++
				}
			}
			clear(m.deferred)
			if n, err := f.RequeueDeferred(ctx); err != nil || n != want {
				t.Fatalf("step %d: RequeueDeferred = %d, %v; model requeues %d", step, n, err, want)
			}
		case r < 98:
			op = "reopen"
			if err := f.Close(); err != nil {
				t.Fatalf("step %d: Close: %v", step, err)
			}
			if f, err = Open(path, opts); err != nil {
				t.Fatalf("step %d: reopen: %v", step, err)
			}
			clear(m.deferred) // a host deferral lasts for the life of an Open
			for _, u := range leased() {
				stale = append(stale, u.lease)
				m.move(u, mQueued)
				u.onWire = false
			}
		default:
			op = "clock"
			now = now.Add(time.Duration(rng.IntN(3000)) * time.Millisecond)
		}
		ops[op]++
		m.check(t, step, op, f)
		if step%200 == 0 {
			re, err := f.Recount()
			if err != nil {
				t.Fatalf("step %d: Recount: %v", step, err)
			}
			if s := f.Stats(); re != s {
				t.Fatalf("step %d: Recount %+v, Stats %+v", step, re, s)
			}
		}
	}
	t.Logf("ops %v; final %+v", ops, m.stats)
}

// check compares the frontier with the model after an operation.
func (m *model) check(t *testing.T, step int, op string, f *Frontier) {
	t.Helper()
	if got := f.Stats(); got != m.stats {
		t.Fatalf("step %d (%s): Stats %+v, model %+v", step, op, got, m.stats)
	}
	d, err := f.Drained()
	if want := m.stats.Queued == 0 && m.stats.Leased == 0; err != nil || d != want {
		t.Fatalf("step %d (%s): Drained %v, %v; model %v", step, op, d, err, want)
	}
	if m.cp != "" && string(f.Checkpoint()) != m.cp {
		t.Fatalf("step %d (%s): checkpoint %q, model %q", step, op, f.Checkpoint(), m.cp)
	}
	dh, err := f.DeferredHosts()
	if err != nil {
		t.Fatalf("step %d (%s): DeferredHosts: %v", step, op, err)
	}
	wantDeferred := map[string]int64{}
	for _, u := range m.urls {
		if u.state == mDeferred {
			wantDeferred[u.host]++
		}
	}
	for _, d := range dh {
		if d.URLs != wantDeferred[d.Host] {
			t.Fatalf("step %d (%s): DeferredHosts says %s has %d, model %d", step, op, d.Host, d.URLs, wantDeferred[d.Host])
		}
		delete(wantDeferred, d.Host)
	}
	if len(wantDeferred) > 0 {
		t.Fatalf("step %d (%s): DeferredHosts %+v misses %v", step, op, dh, wantDeferred)
	}
	type hc struct{ inFlight, queued int }
	want := map[string]hc{}
	for _, u := range m.urls {
		c := want[u.host]
		switch u.state {
		case mLeased:
			c.inFlight++
		case mQueued:
			c.queued++
		}
		want[u.host] = c
	}
	for h, c := range want {
		hs, ok := f.Host(h)
		if !ok || hs.InFlight != c.inFlight || hs.Queued != c.queued {
			t.Fatalf("step %d (%s): Host(%s) = %+v (%v), model in flight %d, queued %d", step, op, h, hs, ok, c.inFlight, c.queued)
		}
	}
}

func sortBySeq(us []*mURL) {
	for i := 1; i < len(us); i++ {
		for j := i; j > 0 && us[j].seq < us[j-1].seq; j-- {
			us[j], us[j-1] = us[j-1], us[j]
		}
	}
}

// dump lists host's queued URLs as the model has them, for failure messages.
func (m *model) dump(host string) string {
	var us []*mURL
	names := map[*mURL]string{}
	for url, u := range m.urls {
		if u.host == host && u.state == mQueued {
			us = append(us, u)
			names[u] = url
		}
	}
	sortBySeq(us)
	out := ""
	for _, u := range us {
		out += fmt.Sprintf("  %s depth %d seq %d attempt %d inRetry %v retryAt %v\n", names[u], u.depth, u.seq, u.attempt, u.inRetry, u.retryAt.Sub(t0))
	}
	return out
}
