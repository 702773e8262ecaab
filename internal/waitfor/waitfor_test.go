package waitfor

import (
	"fmt"
	"sync"
	"testing"
)

// closed reports whether ch is closed now, without waiting.
func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestCounterReached(t *testing.T) {
	var c Counter
	at0, at2, at3 := c.Reached(0), c.Reached(2), c.Reached(3)
	if !closed(at0) {
		t.Fatal("Reached(0) open at count 0")
	}
	c.Inc()
	if closed(at2) {
		t.Fatal("Reached(2) closed at count 1")
	}
	c.Inc()
	if !closed(at2) || closed(at3) {
		t.Fatalf("at count 2: Reached(2) closed %v, Reached(3) closed %v", closed(at2), closed(at3))
	}
	if !closed(c.Reached(1)) {
		t.Fatal("Reached(1) asked at count 2 is open")
	}
	c.Reset()
	if !closed(at3) {
		t.Fatal("Reset left Reached(3) waiting")
	}
	if n := c.Load(); n != 0 {
		t.Fatalf("count after Reset = %d", n)
	}
	if closed(c.Reached(1)) {
		t.Fatal("Reached(1) closed after Reset")
	}
}

// Concurrent writers and waiters: every waiter's text appears, so every
// channel closes (run with -race).
func TestOutputSaid(t *testing.T) {
	var o Output
	var chans []<-chan struct{}
	for i := range 20 {
		chans = append(chans, o.Said(fmt.Sprintf("line %d\n", i)))
	}
	if closed(chans[0]) {
		t.Fatal("Said closed before anything was written")
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fmt.Fprintf(&o, "line %d\n", i)
		}()
	}
	for _, ch := range chans {
		<-ch
	}
	wg.Wait()
	if !closed(o.Said("line 7")) {
		t.Fatal("Said for a text already written is open")
	}
	if closed(o.Said("line 20")) {
		t.Fatal("Said for a text never written is closed")
	}
	if len(o.String()) != 20*len("line 1\n")+10 {
		t.Fatalf("output holds %d bytes", len(o.String()))
	}
}
