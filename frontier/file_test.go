package frontier

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
)

// A damaged file is an error naming the damage, not a panic.
func TestTruncatedFileIsAnError(t *testing.T) {
	f, path := openNew(t, Options{})
	items := make([]Item, 3000)
	for i := range items {
		items[i] = item("a.test", i, 0)
	}
	add(t, f, items...)
	f.Close()
	if err := os.Truncate(path, 12<<10+100); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path, Options{})
	if !errors.Is(err, ErrNotFrontier) || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("truncated file: %v", err)
	}
	t.Logf("error: %v", err)
}

// An item's redirect count survives the queue, a release and a reopen.
func TestRedirectsRoundTrip(t *testing.T) {
	f, path := openNew(t, Options{})
	add(t, f, Item{URL: "http://a.test/r", Host: "a.test", Depth: 2, Redirects: 7})
	l := next(t, f, t0)
	if l.Redirects != 7 {
		t.Fatalf("lease Redirects = %d, want 7", l.Redirects)
	}
	complete(t, f, Completion{Lease: l, Outcome: Release})
	f.Close()
	f = open(t, path, Options{})
	defer f.Close()
	if l = next(t, f, t0); l.Redirects != 7 || l.Depth != 2 {
		t.Fatalf("after reopen: %+v", l)
	}
	if _, err := f.Add(context.Background(), []Item{{URL: "http://a.test/x", Host: "a.test", Redirects: -1}}); err == nil {
		t.Fatal("negative Redirects accepted")
	}
}

// ReadCommitted sees what was committed, and refuses while a crawl holds
// the file.
func TestReadCommitted(t *testing.T) {
	f, path := openNew(t, Options{})
	add(t, f, item("a.test", 1, 0), item("a.test", 2, 0))
	l := next(t, f, t0)
	complete(t, f, Completion{Lease: l, Outcome: Done, Bytes: 10, Checkpoint: []byte("cp1")})
	next(t, f, t0) // leased, not completed
	if _, _, err := ReadCommitted(path); !errors.Is(err, ErrLocked) {
		t.Fatalf("while open: %v, want ErrLocked", err)
	}
	f.Close()
	st, cp, err := ReadCommitted(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(cp) != "cp1" || st.Done != 1 || st.Queued != 1 || st.Leased != 0 || st.Bytes != 10 {
		t.Fatalf("stats %+v, checkpoint %q", st, cp)
	}
}
