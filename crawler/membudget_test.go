package crawler

import "testing"

// The byte budget admits a fetch while held bytes plus the expected bodies
// on the wire fit, always admits one when nothing is held, learns large
// bodies at once and forgets them slowly, and wakes the dispatcher on
// every release.
func TestByteBudget(t *testing.T) {
	wakes := 0
	b := newByteBudget(32<<20, func() { wakes++ })
	if b.full() {
		t.Fatal("an empty pipeline refused a fetch")
	}
	// A 10 MB page: the estimate jumps to it.
	b.fetchStarted()
	b.fetchEnded(10 << 20)
	if b.guess != 10<<20 {
		t.Fatalf("guess %d after a 10 MiB body, want 10 MiB", b.guess)
	}
	// 10 MiB held + 2 fetches expected at 10 MiB = 30 MiB: a third fetch
	// would expect 40 MiB.
	b.fetchStarted()
	if b.full() {
		t.Fatal("10 MiB held and one fetch on the wire: a second should fit (30 MiB)")
	}
	b.fetchStarted()
	if !b.full() {
		t.Fatal("10 MiB held and two 10 MiB fetches on the wire: a third must wait")
	}
	// Small bodies decay the estimate by 1/8 each, not at once.
	b.fetchEnded(1 << 10)
	b.fetchEnded(1 << 10)
	if b.guess >= 10<<20 || b.guess < 7<<20 {
		t.Fatalf("guess %d after two 1 KiB bodies: want a decay of about 1/8 each", b.guess)
	}
	w := wakes
	b.release(10<<20 + 2<<10)
	if wakes != w+1 {
		t.Fatal("release did not wake the dispatcher")
	}
	if b.held.Load() != 0 || b.full() {
		t.Fatalf("held %d after releasing everything; full %v", b.held.Load(), b.full())
	}
	// A page larger than the whole budget still goes through, alone.
	b.fetchStarted()
	b.fetchEnded(64 << 20)
	if !b.full() {
		t.Fatal("64 MiB held: nothing more may start")
	}
	b.release(64 << 20)
	if b.full() {
		t.Fatal("nothing held: a fetch must be admitted")
	}
}
