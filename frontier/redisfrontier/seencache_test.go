package redisfrontier

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trawl-crawler/trawl/frontier"
)

// The cache answers "seen" only for fingerprints added to it, and keeps
// the seenWays most recent of each set: checked against a model, on a
// table small enough that sets overflow all the time.
func TestSeenCacheIsASubset(t *testing.T) {
	c := newSeenCache(32) // 8 sets of 4
	sets := int(c.mask + 1)
	model := make([][]string, sets) // per set, most recent first
	added := map[string]bool{}
	fp := func(i int) string { s := sha256.Sum256([]byte(fmt.Sprint(i))); return string(s[:16]) }
	setOf := func(k string) int {
		var b [16]byte
		copy(b[:], k)
		return int(uint64(b[0])|uint64(b[1])<<8|uint64(b[2])<<16|uint64(b[3])<<24|uint64(b[4])<<32|uint64(b[5])<<40|uint64(b[6])<<48|uint64(b[7])<<56) & int(c.mask)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		k := fp(r.IntN(200))
		c.add([]string{k})
		added[k] = true
		s := setOf(k)
		m := []string{k}
		for _, x := range model[s] {
			if x != k {
				m = append(m, x)
			}
		}
		model[s] = m[:min(len(m), seenWays)]
		for i := range 200 {
			q := fp(i)
			want := false
			for _, x := range model[setOf(q)] {
				want = want || x == q
			}
			if got := c.has(q); got != want {
				t.Fatalf("has(fp(%d)) = %v, want %v (added before: %v)", i, got, want, added[q])
			}
		}
	}
	if c.has(string(make([]byte, 16))) || c.has("short") {
		t.Fatal("the zero fingerprint or a malformed one is seen")
	}
	var nilc *seenCache
	nilc.add([]string{fp(1)})
	if nilc.has(fp(1)) {
		t.Fatal("a nil cache knows a fingerprint")
	}
}

// sentArgs records the arguments of every command a client sends alone
// (scripts are never pipelined).
type sentArgs struct {
	mu   sync.Mutex
	args []string
}

func (c *sentArgs) record(cmd redis.Cmder) {
	var b strings.Builder
	for _, a := range cmd.Args() {
		if p, ok := a.([]byte); ok {
			a = string(p)
		}
		fmt.Fprint(&b, a, " ")
	}
	c.mu.Lock()
	c.args = append(c.args, b.String())
	c.mu.Unlock()
}

func (c *sentArgs) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *sentArgs) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.record(cmd)
		return next(ctx, cmd)
	}
}
func (c *sentArgs) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, cmd := range cmds {
			c.record(cmd)
		}
		return next(ctx, cmds)
	}
}

// A link the worker saw committed never reaches Redis again; a link it
// did not see does, and is queued once.
func TestSeenCacheDropsKnownLinks(t *testing.T) {
	srv := startCrawl(t, Globals{PerHost: 4})
	f := openWorker(t, srv, "w1", time.Minute)
	mustAdd(t, f, items("a", 2, 0)...)
	kid := func(u string) frontier.Item { return frontier.Item{URL: u, Host: "b", Depth: 1} }
	l0, l1 := mustNext(t, f), mustNext(t, f)
	if err := complete(t, f, frontier.Completion{Lease: l0, Outcome: frontier.Done,
		Children: []frontier.Item{kid("http://b/known-by-commit"), kid("http://a/1")}}); err != nil {
		t.Fatal(err)
	}
	hook := &sentArgs{}
	f.cl.AddHook(hook)
	l := l1
	kids := []frontier.Item{kid("http://b/known-by-commit"), kid("http://b/new"), kid("http://a/0"), kid("http://b/new")}
	if err := complete(t, f, frontier.Completion{Lease: l, Outcome: frontier.Done, Children: kids}); err != nil {
		t.Fatal(err)
	}
	if len(kids) != 4 || kids[0].URL != "http://b/known-by-commit" || kids[3].URL != "http://b/new" {
		t.Fatalf("the completion's children were changed: %v", kids)
	}
	hook.mu.Lock()
	sent := strings.Join(hook.args, "\n")
	hook.mu.Unlock()
	if strings.Contains(sent, "known-by-commit") || strings.Contains(sent, "http://a/0") {
		t.Errorf("links the worker saw committed (by a completion, by Add) reached Redis: %q", sent)
	}
	if strings.Count(sent, "http://b/new") != 1 {
		t.Errorf("the new link reached Redis %d times, want once: %q", strings.Count(sent, "http://b/new"), sent)
	}
	got := leaseAll(t, f)
	if want := "[http://b/known-by-commit http://b/new]"; fmt.Sprint(got) != want {
		t.Fatalf("leased %v, want %s", got, want)
	}
}

// Two workers, one with a cache of 4 fingerprints (forgetting all the
// time), the other with the default, complete random links from a pool:
// every URL brought is leased exactly once. A cache that answered "seen"
// for a URL not committed would lose it; one missing from a worker only
// sends the link to Redis, which deduplicates it.
func TestSeenCacheNeverDropsUnseen(t *testing.T) {
	srv := startCrawl(t, Globals{PerHost: 1000})
	ws := []*Frontier{
		openWith(t, srv, Options{WorkerID: "w1", LeaseTTL: time.Minute, SeenCache: 4}),
		openWith(t, srv, Options{WorkerID: "w2", LeaseTTL: time.Minute}),
	}
	url := func(i int) string { return fmt.Sprintf("http://h%d/p/%d", i%3, i) }
	brought := map[string]bool{url(0): true}
	mustAdd(t, ws[0], frontier.Item{URL: url(0), Host: "h0"})
	leased := map[string]int{}
	r := rand.New(rand.NewPCG(3, 4))
	for idle := 0; idle < 2; {
		f := ws[r.IntN(2)]
		l, ok, _, err := f.Next(time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			idle++
			continue
		}
		idle = 0
		leased[l.URL]++
		var kids []frontier.Item
		for range 6 {
			i := r.IntN(400)
			kids = append(kids, frontier.Item{URL: url(i), Host: fmt.Sprintf("h%d", i%3), Depth: l.Depth + 1, Parent: l.URL})
			brought[url(i)] = true
		}
		if err := complete(t, f, frontier.Completion{Lease: l, Outcome: frontier.Done, Children: kids}); err != nil {
			t.Fatal(err)
		}
	}
	for u := range brought {
		if leased[u] != 1 {
			t.Errorf("%s leased %d times, want once", u, leased[u])
		}
	}
	if len(leased) != len(brought) {
		t.Errorf("%d URLs leased, %d brought", len(leased), len(brought))
	}
}

// No cache where it could be wrong: with a depth limit (a known URL may
// still be lowered by a link), and on a Redis that may come back without
// writes it acknowledged (appendfsync not always).
func TestSeenCacheOnlyWhereExact(t *testing.T) {
	srv := startCrawl(t, Globals{PerHost: 2})
	w1 := openWorker(t, srv, "w1", time.Minute)
	if w1.seen == nil {
		t.Fatal("no seen cache with appendfsync always")
	}
	known := fingerprint("http://a/known")
	w1.seen.add([]string{known})
	if f := openWith(t, srv, Options{WorkerID: "w2", LeaseTTL: time.Minute, SeenCache: -1}); f.seen != nil {
		t.Fatal("a seen cache with SeenCache < 0")
	}
	if err := dialTest(t, srv).ConfigSet(context.Background(), "appendfsync", "everysec").Err(); err != nil {
		t.Fatal(err)
	}
	if f := openWorker(t, srv, "w3", time.Minute); f.seen != nil {
		t.Fatal("a seen cache with appendfsync everysec")
	}
	// A worker that opened with always finds the change at its next
	// heartbeat and forgets what it knew.
	if !w1.seen.has(known) {
		t.Fatal("the cache lost a fingerprint before the settings changed")
	}
	w1.heartbeat()
	if w1.seen.has(known) {
		t.Fatal("the seen cache still answers after appendfsync became everysec")
	}
	if w1.seen.add([]string{known}); w1.seen.has(known) {
		t.Fatal("the seen cache took a fingerprint after it was turned off")
	}
	deep := startCrawl(t, Globals{PerHost: 2, ShortestDepth: true, MaxDepth: 5})
	if f := openWorker(t, deep, "w1", time.Minute); f.seen != nil {
		t.Fatal("a seen cache on a crawl with a depth limit")
	}
}

// With a depth limit a link to a known URL still reaches Redis: it may
// lower the URL's depth.
func TestSeenCacheKeepsLowering(t *testing.T) {
	srv := startCrawl(t, Globals{PerHost: 2, ShortestDepth: true, MaxDepth: 5})
	f := openWorker(t, srv, "w1", time.Minute)
	mustAdd(t, f, items("a", 2, 0)...)
	l0, l1 := mustNext(t, f), mustNext(t, f)
	for _, c := range []struct {
		l     frontier.Lease
		depth int
	}{{l0, 3}, {l1, 1}} {
		if err := complete(t, f, frontier.Completion{Lease: c.l, Outcome: frontier.Done,
			Children: []frontier.Item{{URL: "http://b/x", Host: "b", Depth: c.depth, Parent: c.l.URL}}}); err != nil {
			t.Fatal(err)
		}
	}
	if l := mustNext(t, f); l.URL != "http://b/x" || l.Depth != 1 {
		t.Fatalf("leased %s at depth %d, want http://b/x at depth 1 (its shortest)", l.URL, l.Depth)
	}
}
