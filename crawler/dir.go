package crawler

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/trawl-crawler/trawl/frontier"
	"github.com/trawl-crawler/trawl/internal/atomicfile"
	"github.com/trawl-crawler/trawl/storage"
)

// stateDir owns a crawl's state directory: what lives where, whether it
// holds a crawl, how it is discarded, how its published files are written
// (atomically, fsynced), and which reader of the page store a process that
// does not run the crawl must use. Nothing else in trawl knows the layout.
//
//	DIR/frontier.db    the frontier (bbolt; its lock is the crawl's lock)
//	DIR/crawl.json     the configuration; written last at start-up, so its
//	                   presence is what makes DIR a started crawl
//	DIR/status.json    the live snapshot for status in other processes
//	DIR/pages/         the page store (segments + manifest.json)
//	DIR/cookies.txt    the cookie jar (Netscape format, mode 0600: secrets;
//	                   request.go), so a resumed crawl keeps its session
type stateDir string

const (
	frontierFile = "frontier.db"
	statusFile   = "status.json"
	configFile   = "crawl.json"
	pagesDir     = "pages"
	cookiesFile  = "cookies.txt"
)

func (d stateDir) frontierPath() string { return filepath.Join(string(d), frontierFile) }
func (d stateDir) statusPath() string   { return filepath.Join(string(d), statusFile) }
func (d stateDir) configPath() string   { return filepath.Join(string(d), configFile) }
func (d stateDir) pagesPath() string    { return filepath.Join(string(d), pagesDir) }
func (d stateDir) cookiesPath() string  { return filepath.Join(string(d), cookiesFile) }

// exists: a started crawl (its configuration was committed with its seeds).
func (d stateDir) exists() bool {
	_, err := os.Stat(d.configPath())
	return err == nil
}

// halfInitialised: a frontier file but no crawl.json, i.e. a start that was
// killed before it committed its seeds and config.
func (d stateDir) halfInitialised() bool {
	_, err := os.Stat(d.frontierPath())
	return err == nil && !d.exists()
}

// discard removes the crawl state and nothing else in the directory.
func (d stateDir) discard() error {
	if err := frontier.Remove(d.frontierPath()); err != nil {
		return fmt.Errorf("discard %s: %w", d, err)
	}
	for _, p := range []string{d.statusPath(), d.configPath(), d.pagesPath(), d.cookiesPath()} {
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("discard %s: %w", d, err)
		}
	}
	return nil
}

func (d stateDir) writeStatus(b []byte) error {
	if err := atomicfile.WriteFile(d.statusPath(), b, 0o644); err != nil {
		return fmt.Errorf("write status: %w", err)
	}
	return nil
}

func (d stateDir) writeConfig(b []byte) error {
	if err := atomicfile.WriteFile(d.configPath(), b, 0o644); err != nil {
		return fmt.Errorf("write crawl config: %w", err)
	}
	return nil
}

// committed reads the frontier's committed counters and page-store
// checkpoint when no process holds it (frontier.ErrLocked while one does).
func (d stateDir) committed() (frontier.Stats, []byte, error) {
	return frontier.ReadCommitted(d.frontierPath())
}

// openPages returns a reader of the committed pages. A crawl that no
// process runs is read exactly at the checkpoint its frontier committed (a
// kill may have left the manifest up to 250 ms behind); a running crawl is
// read through the manifest it publishes, which never runs ahead of its
// commits.
func (d stateDir) openPages() (*storage.Reader, error) {
	if !d.exists() {
		return nil, fmt.Errorf("%s: %w", d, ErrNoCrawl)
	}
	running := false
	if st, err := ReadStatus(string(d)); err == nil && st.State == StateRunning {
		running = true
	}
	if _, err := os.Stat(d.frontierPath()); errors.Is(err, os.ErrNotExist) {
		// A worker of a shared crawl: its checkpoint is in the shared
		// frontier, and its manifest holds only what it committed there.
		running = true
	}
	var r *storage.Reader
	var err error
	if !running {
		_, cp, cerr := d.committed()
		switch {
		case errors.Is(cerr, frontier.ErrLocked):
			running = true // started between the status read and now
		case cerr != nil:
			return nil, fmt.Errorf("read committed checkpoint: %w", cerr)
		default:
			r, err = storage.OpenReaderAt(d.pagesPath(), cp)
		}
	}
	if running {
		r, err = storage.OpenReader(d.pagesPath())
	}
	if errors.Is(err, storage.ErrNoStore) {
		return nil, fmt.Errorf("%s holds no pages yet: %w", d, ErrNoCrawl)
	}
	return r, err
}

// ErrLocked: another process runs the crawl in this directory.
var ErrLocked = frontier.ErrLocked

// Exists reports whether dir holds a started crawl.
func Exists(dir string) bool { return stateDir(dir).exists() }

// Discard removes the crawl state trawl keeps in dir (and nothing else).
func Discard(dir string) error { return stateDir(dir).discard() }

// OpenPages returns a reader of the pages the crawl in dir has committed,
// whether a process runs it or not, without disturbing a running crawl.
func OpenPages(dir string) (*storage.Reader, error) { return stateDir(dir).openPages() }

// OpenAllPages returns a reader of the committed pages of each directory
// (as OpenPages), in order: the page stores of the workers of a shared
// crawl, exported together.
func OpenAllPages(dirs []string) ([]*storage.Reader, error) {
	rs := make([]*storage.Reader, 0, len(dirs))
	for _, dir := range dirs {
		r, err := OpenPages(dir)
		if err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	return rs, nil
}
