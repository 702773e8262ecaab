package crawler

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/trawl-crawler/trawl/frontier"
)

// Crawl states as published in the status snapshot.
const (
	StateRunning     = "running"
	StateInterrupted = "interrupted"
	StateFinished    = "finished"
)

// Stats is a snapshot of a crawl, as `trawl status --json` prints it.
type Stats struct {
	State string `json:"state"`
	// Pass is the recrawl pass (0: the first crawl; trawl recrawl starts
	// 1, 2...); Changes counts this pass's pages by change class
	// (ChangeNew, ChangeChanged, ChangeUnchanged, ChangeGone), as
	// committed; empty in pass 0.
	Pass     int              `json:"pass"`
	Changes  map[string]int64 `json:"pass_changes,omitempty"`
	Queued   int64            `json:"queued"`
	InFlight int64            `json:"in_flight"`
	Done     int64            `json:"done"`
	Failed   int64            `json:"failed"`
	Skipped  int64            `json:"skipped"`
	// Deferred URLs were neither fetched nor failed (robots.txt
	// unavailable after the retries, a wait past --max-wait): the run
	// finished without them and trawl resume retries them.
	Deferred      int64          `json:"deferred"`
	DeferredHosts []DeferredHost `json:"deferred_hosts,omitempty"` // per host, most URLs first
	// LinksDropped counts links pages had past --max-links-per-page (not
	// queued), on PagesLinksDropped pages; each page's record says its own.
	LinksDropped      int64            `json:"links_dropped,omitempty"`
	PagesLinksDropped int64            `json:"pages_links_dropped,omitempty"`
	Retries           int64            `json:"retries"`
	Stored            int64            `json:"stored"`
	Hosts             int64            `json:"hosts"`
	ActiveHosts       int64            `json:"hosts_active"`
	BytesStored       int64            `json:"bytes_stored"`
	Errors            map[string]int64 `json:"failed_by_reason,omitempty"`  // Failed by class, whole crawl
	Skips             map[string]int64 `json:"skipped_by_reason,omitempty"` // Skipped by class (robots), whole crawl
	// ElapsedSec is the time spent crawling, over every run of the crawl;
	// PagesPerSec is the crawl's rate: (Done+Failed) / ElapsedSec.
	ElapsedSec  float64 `json:"elapsed_sec"`
	PagesPerSec float64 `json:"pages_per_sec"`
	// Run is this run's share (the last run's, once it stopped).
	Run RunStats `json:"run"`
	// ETASec estimates the time left while running: queued pages (bounded
	// by --max-pages) at the rate of the last ten seconds; 0 when unknown.
	// Pages not yet discovered make the crawl longer.
	ETASec float64 `json:"eta_sec,omitempty"`
	// Bottleneck is "delay" when the crawl waits on its hosts' schedules
	// (queued work, nothing in flight): --delay or a robots.txt
	// Crawl-delay, HostDelaySec the largest in force, bounds its speed.
	Bottleneck   string  `json:"bottleneck,omitempty"`
	HostDelaySec float64 `json:"host_delay_sec,omitempty"`
	// StopReason is "max-pages" when --max-pages (MaxPages) ended the
	// crawl with work still queued: resume with a higher limit continues.
	StopReason string    `json:"stop_reason,omitempty"`
	MaxPages   int64     `json:"max_pages,omitempty"`
	Panics     int64     `json:"callback_panics,omitempty"` // this process only (not summed across resumes)
	StartedAt  time.Time `json:"started_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	PID        int       `json:"pid,omitempty"`
	Dir        string    `json:"dir"`
}

// RunStats are one run's figures.
type RunStats struct {
	StartedAt   time.Time `json:"started_at"`
	Done        int64     `json:"done"`
	Failed      int64     `json:"failed"`
	Skipped     int64     `json:"skipped"`
	ElapsedSec  float64   `json:"elapsed_sec"`
	PagesPerSec float64   `json:"pages_per_sec"` // (Done+Failed) / ElapsedSec
}

// StopReasonMaxPages: the crawl stopped at Config.MaxPages.
const StopReasonMaxPages = "max-pages"

// writeStatus atomically replaces dir/status.json, so a reader in another
// process never sees a torn snapshot.
func writeStatus(dir string, s Stats) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode status: %w", err)
	}
	return stateDir(dir).writeStatus(append(b, '\n'))
}

// DeferredHost is one host's deferred URLs: how many and why.
type DeferredHost = frontier.DeferredHost

// ErrNoCrawl means the directory holds no crawl state.
var ErrNoCrawl = errors.New("no crawl in this directory")

// ReadStatus reads the snapshot a crawl (running or not) published in dir.
// A snapshot that says running but whose process is gone reads as
// interrupted (the process was killed).
func ReadStatus(dir string) (Stats, error) {
	d := stateDir(dir)
	b, err := os.ReadFile(d.statusPath())
	if errors.Is(err, os.ErrNotExist) {
		if _, err2 := os.Stat(d.frontierPath()); err2 == nil {
			return Stats{Dir: dir, State: StateInterrupted}, nil
		}
		return Stats{}, fmt.Errorf("%s: %w", dir, ErrNoCrawl)
	}
	if err != nil {
		return Stats{}, fmt.Errorf("read status: %w", err)
	}
	var s Stats
	if err := json.Unmarshal(b, &s); err != nil {
		return Stats{}, fmt.Errorf("read status %s: %w", d.statusPath(), err)
	}
	if s.State == StateRunning && processAlive(s.PID) {
		return s, nil
	}
	if s.State == StateRunning {
		s.State = StateInterrupted // its process is gone: killed
	}
	// No process runs this crawl: the frontier's committed counters are
	// exact, where the snapshot may lag a kill by up to a second.
	if fs, _, err := d.committed(); err == nil {
		s.Queued, s.Done, s.Failed, s.Skipped, s.Retries = fs.Queued, fs.Done, fs.Failed, fs.Skipped, fs.Retries
		s.Deferred = fs.Deferred
		s.Stored, s.Hosts, s.BytesStored = fs.Done+fs.Failed+fs.Skipped, fs.Hosts, fs.Bytes
	}
	reconcileReasons(&s)
	s.InFlight, s.ActiveHosts, s.ETASec, s.Bottleneck = 0, 0, 0, ""
	return s, nil
}

// processAlive reports whether pid names a live process (signal 0 probe).
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}

func pid() int { return os.Getpid() }
