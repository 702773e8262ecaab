package crawler

import (
	"sync"
	"sync/atomic"
)

// maxPipelineBytes bounds the bytes the pipeline holds between the network
// and the page store: bodies fetched and not yet parsed (in the parse queue
// or being parsed) and encoded records not yet appended. A count bound alone
// (tokens) let large pages fill the parse queue (docs/ARCHITECTURE.md,
// "The pipeline"). 32 MiB keeps several large pages queued per parse worker,
// which is all a CPU-bound parse stage can use, and leaves room for the
// parser's own working memory under the RSS target.
const maxPipelineBytes = 32 << 20

// initialBodyGuess is what a fetch on the wire is assumed to bring before
// any body has been seen.
const initialBodyGuess = 64 << 10

// byteBudget is admission control by bytes. The dispatcher starts a fetch
// only while held bytes plus the expected bodies of fetches on the wire are
// under the limit; each release wakes it (an event, not a poll). A fetch
// on the wire is counted at an estimate, its real size being unknown until
// its last byte: the estimate jumps to any larger body at once and decays
// by 1/8 per smaller one, so one multi-MB page makes the next fetches count
// as multi-MB until the site shows otherwise. The dispatcher admits a fetch
// whenever nothing is held, so a page larger than the whole budget still
// goes through, alone.
type byteBudget struct {
	limit  int64
	held   atomic.Int64 // bodies and records in the pipeline
	onWire atomic.Int64 // fetches started and not yet ended
	wake   func()

	mu    sync.Mutex
	guess int64 // expected body of a fetch on the wire
}

func newByteBudget(limit int64, wake func()) *byteBudget {
	return &byteBudget{limit: limit, wake: wake, guess: initialBodyGuess}
}

// full reports whether the dispatcher must wait before starting a fetch.
func (b *byteBudget) full() bool {
	held, wire := b.held.Load(), b.onWire.Load()
	if held == 0 && wire == 0 {
		return false
	}
	b.mu.Lock()
	guess := b.guess
	b.mu.Unlock()
	return held+(wire+1)*guess > b.limit
}

// fetchStarted counts a fetch going on the wire.
func (b *byteBudget) fetchStarted() { b.onWire.Add(1) }

// fetchEnded turns a fetch on the wire into n bytes held (its body) and
// updates the estimate.
func (b *byteBudget) fetchEnded(n int64) {
	b.mu.Lock()
	if n > b.guess {
		b.guess = n
	} else {
		b.guess -= (b.guess - n) / 8
	}
	b.mu.Unlock()
	b.held.Add(n)
	b.onWire.Add(-1)
	b.wake()
}

// hold counts n more bytes held (an encoded record).
func (b *byteBudget) hold(n int64) { b.held.Add(n) }

// release frees n held bytes and wakes the dispatcher.
func (b *byteBudget) release(n int64) {
	if n == 0 {
		return
	}
	b.held.Add(-n)
	b.wake()
}
