package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/trawl-crawler/trawl/crawler"
)

// progress draws the live progress line on a terminal.
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	drawn    bool
	lastDone int64
	lastAt   time.Time
}

// newProgress returns nil when the line is off (--progress off, or auto and
// stdout is not a terminal).
func newProgress(w io.Writer, mode string) *progress {
	switch mode {
	case "off":
		return nil
	case "auto":
		f, ok := w.(*os.File)
		if !ok {
			return nil
		}
		fi, err := f.Stat()
		if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
			return nil
		}
	}
	return &progress{w: w}
}

func (p *progress) update(s crawler.Stats) {
	p.mu.Lock()
	defer p.mu.Unlock()
	// The rate since the last update, not since the start: stalls show.
	rate := s.PagesPerSec
	done := s.Done + s.Failed
	if !p.lastAt.IsZero() {
		if dt := s.UpdatedAt.Sub(p.lastAt).Seconds(); dt > 0 {
			rate = float64(done-p.lastDone) / dt
		}
	}
	p.lastDone, p.lastAt = done, s.UpdatedAt
	fmt.Fprintf(p.w, "\r\x1b[K%.1f pages/s  done %d  queued %d  in flight %d  errors %d  hosts %d  %s",
		rate, s.Done, s.Queued, s.InFlight, s.Failed, s.ActiveHosts, humanBytes(s.BytesStored))
	p.drawn = true
}

func (p *progress) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}
