package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/trawl-crawler/trawl/crawler"
)

// The crawl's figures are written in four places — the progress line, the
// heartbeat log line, the summary and `trawl status` — and named the same
// in each (and as in status --json): done, failed, skipped, queued, in
// flight, hosts active and known, stored bytes, elapsed, pages/s for this
// run and for the crawl. Every count covers the whole crawl (all runs).

// progressFigures is the progress line.
func progressFigures(s crawler.Stats) string {
	var b strings.Builder
	fmt.Fprintf(&b, "done %d  failed %d  skipped %d  queued %d  in flight %d  hosts %d active/%d known  %s  %.1f pages/s  elapsed %s",
		s.Done, s.Failed, s.Skipped, s.Queued, s.InFlight, s.ActiveHosts, s.Hosts, humanBytes(s.BytesStored),
		s.Run.PagesPerSec, humanDuration(s.ElapsedSec))
	if s.ETASec > 0 {
		fmt.Fprintf(&b, "  eta %s", humanDuration(s.ETASec))
	}
	return b.String()
}

// heartbeatAttrs are the figures as slog attributes (stable keys: the
// status --json names).
func heartbeatAttrs(s crawler.Stats) []any {
	a := []any{"done", s.Done, "failed", s.Failed, "skipped", s.Skipped, "queued", s.Queued,
		"in_flight", s.InFlight, "hosts_active", s.ActiveHosts, "hosts", s.Hosts, "bytes_stored", s.BytesStored,
		"pages_per_sec", round1(s.Run.PagesPerSec), "elapsed", humanDuration(s.ElapsedSec)}
	if s.ETASec > 0 {
		a = append(a, "eta", humanDuration(s.ETASec))
	}
	return a
}

// printSummary writes the end-of-run summary: what the crawl holds, this
// run's share and rate, the crawl's rate, and what to do next.
//
// resume is the command that continues the crawl (resumeCommand, or a
// shared worker's with its --frontier), for the hints.
func printSummary(w io.Writer, st crawler.Stats, resume string) {
	state := st.State
	if state == "" {
		state = "stopped"
	}
	deferred := ""
	if st.Deferred > 0 {
		deferred = fmt.Sprintf(", %d deferred", st.Deferred)
	}
	fmt.Fprintf(w, "trawl: %s: %d done, %d failed, %d skipped%s, %d queued, %d hosts known, %s stored\n",
		state, st.Done, st.Failed, st.Skipped, deferred, st.Queued, st.Hosts, humanBytes(st.BytesStored))
	fmt.Fprintf(w, "  this run: %d done, %d failed, %d skipped in %s (%.1f pages/s); the crawl: %s (%.1f pages/s)\n",
		st.Run.Done, st.Run.Failed, st.Run.Skipped, humanDuration(st.Run.ElapsedSec), st.Run.PagesPerSec,
		humanDuration(st.ElapsedSec), st.PagesPerSec)
	if st.StopReason == crawler.StopReasonMaxPages {
		fmt.Fprintf(w, "  %s\n", maxPagesNote(st, resume))
	}
	if l := passLine(st); l != "" {
		fmt.Fprintf(w, "  %s\n", l)
	}
	writeDeferred(w, st, resume)
	writeLinksDropped(w, st)
}

// resumeCommand is the command that continues the crawl in dir.
func resumeCommand(dir string) string { return "trawl resume --dir " + dir }

// maxPagesNote says the crawl stopped at its limit, not because it ran out
// of work, and how to continue it.
func maxPagesNote(st crawler.Stats, resume string) string {
	return fmt.Sprintf("stopped at --max-pages %d (%d queued; `%s --max-pages N` with N > %d continues)",
		st.MaxPages, st.Queued, resume, st.MaxPages)
}

// printStatus writes `trawl status` for people.
func printStatus(w io.Writer, st crawler.Stats, dir string) {
	state := st.State
	if st.StopReason == crawler.StopReasonMaxPages {
		state += ": " + maxPagesNote(st, resumeCommand(dir))
	}
	fmt.Fprintf(w, "dir:          %s\n", dir)
	fmt.Fprintf(w, "state:        %s\n", state)
	writePass(w, st)
	fmt.Fprintf(w, "done:         %d\n", st.Done)
	fmt.Fprintf(w, "failed:       %d\n", st.Failed)
	fmt.Fprintf(w, "skipped:      %d\n", st.Skipped)
	fmt.Fprintf(w, "queued:       %d\n", st.Queued)
	writeDeferred(w, st, resumeCommand(dir))
	writeLinksDropped(w, st)
	fmt.Fprintf(w, "in flight:    %d\n", st.InFlight)
	fmt.Fprintf(w, "hosts:        %d active/%d known\n", st.ActiveHosts, st.Hosts)
	fmt.Fprintf(w, "stored:       %d records (%s)\n", st.Stored, humanBytes(st.BytesStored))
	fmt.Fprintf(w, "elapsed:      %s (%.1f pages/s)\n", humanDuration(st.ElapsedSec), st.PagesPerSec)
	label := "this run:"
	if st.State != crawler.StateRunning {
		label = "last run:"
	}
	fmt.Fprintf(w, "%-13s %d done, %d failed, %d skipped in %s (%.1f pages/s)\n", label,
		st.Run.Done, st.Run.Failed, st.Run.Skipped, humanDuration(st.Run.ElapsedSec), st.Run.PagesPerSec)
	if st.ETASec > 0 {
		fmt.Fprintf(w, "eta:          %s (the queue at the last 10 s's rate; pages not yet found add to it)\n", humanDuration(st.ETASec))
	}
	if !st.StartedAt.IsZero() {
		fmt.Fprintf(w, "started:      %s\n", st.StartedAt.Format(time.RFC3339))
		fmt.Fprintf(w, "updated:      %s\n", st.UpdatedAt.Format(time.RFC3339))
	}
	printReasons(w, "failed by reason:", st.Errors)
	printReasons(w, "skipped by reason:", st.Skips)
}

func printReasons(w io.Writer, title string, m map[string]int64) {
	if len(m) == 0 {
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintln(w, title)
	for _, k := range keys {
		fmt.Fprintf(w, "  %-20s %d\n", k, m[k])
	}
}

// humanDuration rounds seconds for people: 16ms, 4.2s, 7m28s, 1h02m.
func humanDuration(sec float64) string {
	d := time.Duration(sec * float64(time.Second))
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d < time.Hour:
		return d.Round(time.Second).String()
	}
	d = d.Round(time.Minute)
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
