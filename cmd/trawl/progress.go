package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/trawl-crawler/trawl/crawler"
)

// progress draws the live progress line on a terminal. Every other write
// to the terminal (log lines, the ^C notice) goes through clearing(), which
// wipes the line first, so no message lands on the end of it.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	drawn bool
}

// isTerminal reports whether w is a character device.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// newProgress returns nil when the line is off (--progress off, or auto and
// stdout is not a terminal).
func newProgress(w io.Writer, mode string) *progress {
	switch mode {
	case "off":
		return nil
	case "auto":
		if !isTerminal(w) {
			return nil
		}
	}
	return &progress{w: w}
}

func (p *progress) update(s crawler.Stats) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "\r\x1b[K%s", progressFigures(s))
	p.drawn = true
}

// clear wipes the line if it is drawn; the next update draws it again.
func (p *progress) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearLocked()
}

func (p *progress) clearLocked() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

// clearing returns w wrapped so that each write first clears the line.
func (p *progress) clearing(w io.Writer) io.Writer {
	if p == nil {
		return w
	}
	return clearingWriter{p, w}
}

type clearingWriter struct {
	p *progress
	w io.Writer
}

func (c clearingWriter) Write(b []byte) (int, error) {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	c.p.clearLocked()
	return c.w.Write(b)
}

// watcher receives the crawl's stats about once a second: it draws the
// progress line (on a terminal), logs a heartbeat with the same figures
// every heartbeat otherwise, and says once when the per-host delay is
// what bounds the crawl.
type watcher struct {
	prog      *progress
	log       *slog.Logger
	heartbeat time.Duration // 0: none
	dir       string
	delay     time.Duration // --delay as configured

	mu        sync.Mutex
	lastBeat  time.Time
	toldDelay bool
}

func (w *watcher) update(s crawler.Stats) {
	w.mu.Lock()
	tell := s.Bottleneck == "delay" && !w.toldDelay
	w.toldDelay = w.toldDelay || tell
	now := time.Now()
	if w.lastBeat.IsZero() {
		w.lastBeat = now // the first beat comes one period after the start line
	}
	beat := w.prog == nil && w.heartbeat > 0 && now.Sub(w.lastBeat) >= w.heartbeat
	if beat {
		w.lastBeat = now
	}
	w.mu.Unlock()
	if tell {
		w.log.Info(delayNotice(s, w.delay, w.dir))
	}
	if beat {
		w.log.Info("progress", heartbeatAttrs(s)...)
	}
	if w.prog != nil {
		w.prog.update(s)
	}
}

// delayNotice explains, once, that the per-host delay bounds the crawl
// and how to change it for a site of one's own.
func delayNotice(s crawler.Stats, configured time.Duration, dir string) string {
	d := time.Duration(s.HostDelaySec * float64(time.Second))
	if d > configured {
		return fmt.Sprintf("the per-host delay bounds this crawl: one request start every %s per host, from the site's robots.txt "+
			"Crawl-delay (more than --delay %s); on a site you run, lower its Crawl-delay, then stop (Ctrl-C) and continue with: "+
			"trawl resume --dir %s --delay 0 --per-host 8", d, configured, dir)
	}
	return fmt.Sprintf("the per-host delay bounds this crawl: one request start every %s per host, from --delay %s; "+
		"on a site you run, stop (Ctrl-C) and continue faster with: trawl resume --dir %s --delay 0 --per-host 8", d, configured, dir)
}
