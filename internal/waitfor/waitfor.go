// Package waitfor lets a test act on an event (the n-th request a test
// server answered, a line a child process printed) rather than on how long
// something ran: a test that sleeps passes or fails with the machine's load,
// one that waits for the event does not.
//
// Counter and Output hand out channels that close once their condition
// holds; both keep their waiters in one waitList, so "close every waiter
// whose condition now holds" is written once.
package waitfor

import (
	"bytes"
	"sync"
)

// waitList is the waiters of one guarded value. Its methods run under the
// owner's lock, which also guards what the conditions read.
type waitList struct {
	waits []wait
}

type wait struct {
	holds func() bool // reads the owner's value; called with its lock held
	ch    chan struct{}
}

// add returns a channel that is closed once holds is true: at once if it
// already is.
func (l *waitList) add(holds func() bool) <-chan struct{} {
	ch := make(chan struct{})
	if holds() {
		close(ch)
	} else {
		l.waits = append(l.waits, wait{holds, ch})
	}
	return ch
}

// changed closes the channels whose condition now holds and forgets them.
func (l *waitList) changed() {
	kept := l.waits[:0]
	for _, w := range l.waits {
		if w.holds() {
			close(w.ch)
		} else {
			kept = append(kept, w)
		}
	}
	l.waits = kept
}

// closeAll closes every pending channel, whether or not its condition held.
func (l *waitList) closeAll() {
	for _, w := range l.waits {
		close(w.ch)
	}
	l.waits = nil
}

// Counter counts events (requests a test server received, say) and tells
// waiters when the count reaches a mark. The zero value is ready; it is safe
// for concurrent use.
type Counter struct {
	mu    sync.Mutex
	n     int64
	waits waitList
}

// Inc counts one event.
func (c *Counter) Inc() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	c.waits.changed()
}

// Load is the count so far.
func (c *Counter) Load() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// Reached returns a channel closed once the count is at least n.
func (c *Counter) Reached(n int64) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.waits.add(func() bool { return c.n >= n })
}

// Reset sets the count back to zero and closes every channel still
// waiting, so a test blocked on a mark of the last round does not hang.
func (c *Counter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n = 0
	c.waits.closeAll()
}

// Output is an io.Writer that keeps what is written to it and tells waiters
// when a text appears: give it as a child process's Stdout and Stderr, and
// act on what the process says. The zero value is ready; it is safe for
// exec's two copying goroutines and a reader at once.
type Output struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	waits waitList
}

// Write keeps p and closes the channels of the texts that now appear.
func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	n, err := o.buf.Write(p)
	o.waits.changed()
	return n, err
}

// Said returns a channel closed once the output contains text.
func (o *Output) Said(text string) <-chan struct{} {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.waits.add(func() bool { return bytes.Contains(o.buf.Bytes(), []byte(text)) })
}

// String is everything written so far.
func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}
