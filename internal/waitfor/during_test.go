package waitfor

import (
	"errors"
	"slices"
	"testing"
)

// TestDuring: check runs while work runs and at least min times; it is
// told finished from the first call after work returned on, and the last
// call is one of those; work's error ends the loop and is returned.
func TestDuring(t *testing.T) {
	release := make(chan struct{})
	var calls []bool
	err := During(func() error { <-release; return nil }, 3, func(finished bool) {
		calls = append(calls, finished)
		if len(calls) == 5 {
			close(release) // work ends only after five checks ran beside it
		}
	})
	if err != nil || len(calls) < 6 || slices.Contains(calls[:5], true) || !calls[len(calls)-1] {
		t.Fatalf("During = %v after checks %v; want 5 or more unfinished, then finished last", err, calls)
	}
	if first := slices.Index(calls, true); slices.Contains(calls[first:], false) {
		t.Fatalf("checks %v: unfinished after finished", calls)
	}

	calls = nil
	if err := During(func() error { return nil }, 3, func(finished bool) { calls = append(calls, finished) }); err != nil || len(calls) < 3 || !calls[len(calls)-1] {
		t.Fatalf("quick work: During = %v after checks %v; want 3 or more, finished last", err, calls)
	}

	boom := errors.New("boom")
	calls = nil
	if err := During(func() error { return boom }, 1000, func(finished bool) { calls = append(calls, finished) }); !errors.Is(err, boom) || slices.Contains(calls, true) {
		t.Fatalf("failing work: During = %v after checks %v; want boom, never finished", err, calls)
	}
}
