package crawler

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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

// Files in a crawl's state directory.
const (
	frontierFile = "frontier.db"
	statusFile   = "status.json"
)

// Stats is a snapshot of a crawl, as `trawl status --json` prints it.
type Stats struct {
	State       string           `json:"state"`
	Queued      int64            `json:"queued"`
	InFlight    int64            `json:"in_flight"`
	Done        int64            `json:"done"`
	Failed      int64            `json:"failed"`
	Skipped     int64            `json:"skipped"`
	Retries     int64            `json:"retries"`
	Stored      int64            `json:"stored"`
	Hosts       int64            `json:"hosts"`
	ActiveHosts int64            `json:"hosts_active"`
	BytesStored int64            `json:"bytes_stored"`
	Errors      map[string]int64 `json:"errors,omitempty"` // final failures by class
	PagesPerSec float64          `json:"pages_per_sec"`
	Panics      int64            `json:"callback_panics,omitempty"` // this process only (not summed across resumes)
	StartedAt   time.Time        `json:"started_at"`
	UpdatedAt   time.Time        `json:"updated_at"`
	PID         int              `json:"pid,omitempty"`
	Dir         string           `json:"dir"`
}

// writeStatus atomically replaces dir/status.json (temp file + rename), so a
// reader in another process never sees a torn snapshot.
func writeStatus(dir string, s Stats) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".status-*.tmp")
	if err != nil {
		return fmt.Errorf("write status: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("write status: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write status: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, statusFile)); err != nil {
		return fmt.Errorf("write status: %w", err)
	}
	return nil
}

// ErrNoCrawl means the directory holds no crawl state.
var ErrNoCrawl = errors.New("no crawl in this directory")

// ReadStatus reads the snapshot a crawl (running or not) published in dir.
// A snapshot that says running but whose process is gone reads as
// interrupted (the process was killed).
func ReadStatus(dir string) (Stats, error) {
	b, err := os.ReadFile(filepath.Join(dir, statusFile))
	if errors.Is(err, os.ErrNotExist) {
		if _, err2 := os.Stat(filepath.Join(dir, frontierFile)); err2 == nil {
			return Stats{Dir: dir, State: StateInterrupted}, nil
		}
		return Stats{}, fmt.Errorf("%s: %w", dir, ErrNoCrawl)
	}
	if err != nil {
		return Stats{}, fmt.Errorf("read status: %w", err)
	}
	var s Stats
	if err := json.Unmarshal(b, &s); err != nil {
		return Stats{}, fmt.Errorf("read status %s: %w", filepath.Join(dir, statusFile), err)
	}
	if s.State == StateRunning && processAlive(s.PID) {
		return s, nil
	}
	if s.State == StateRunning {
		s.State = StateInterrupted // its process is gone: killed
	}
	// No process runs this crawl: the frontier's committed counters are
	// exact, where the snapshot may lag a kill by up to a second.
	if fs, _, err := frontier.ReadCommitted(filepath.Join(dir, frontierFile)); err == nil {
		s.Queued, s.Done, s.Failed, s.Skipped, s.Retries = fs.Queued, fs.Done, fs.Failed, fs.Skipped, fs.Retries
		s.Stored, s.Hosts, s.BytesStored = fs.Done+fs.Failed+fs.Skipped, fs.Hosts, fs.Bytes
	}
	s.InFlight, s.ActiveHosts = 0, 0
	return s, nil
}

// CommittedCheckpoint returns the page-store checkpoint the crawl in dir
// has committed, when no process is running it (ok=false while one is: then
// readers go through the published manifest). Export uses it to read
// exactly what was committed after a kill or a full disk.
func CommittedCheckpoint(dir string) (cp []byte, ok bool, err error) {
	if st, err := ReadStatus(dir); err == nil && st.State == StateRunning {
		return nil, false, nil
	}
	_, cp, err = frontier.ReadCommitted(filepath.Join(dir, frontierFile))
	if errors.Is(err, frontier.ErrLocked) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return cp, true, nil
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

// Exists reports whether dir holds a started crawl: its configuration was
// committed together with its seeds (crawl.json is written last).
func Exists(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, configFile))
	return err == nil
}

// halfInitialised: a frontier file but no crawl.json, i.e. a start that was
// killed before it committed its seeds and config.
func halfInitialised(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, frontierFile))
	return err == nil && !Exists(dir)
}

func pid() int { return os.Getpid() }

// PagesDir is where the page store of the crawl in dir lives.
func PagesDir(dir string) string { return filepath.Join(dir, pagesDir) }
