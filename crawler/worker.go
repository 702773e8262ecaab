package crawler

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/trawl-crawler/trawl/internal/atomicfile"
)

// A worker of a shared crawl (WithSharedFrontier) keeps two more files in
// its directory, beside the layout in dir.go (and no frontier.db: its
// frontier is the shared one):
//
//	DIR/worker.json    which shared crawl the directory belongs to and the
//	                   worker's id (the key of its checkpoint in the shared
//	                   frontier); written once, when the worker first joins
//	DIR/worker.lock    flock'd for the life of the worker process
const (
	// WorkerFile is the name of the worker file in a worker's directory
	// (for messages that tell the user where to find a worker id).
	WorkerFile = "worker.json"
	workerLock = "worker.lock"
)

func (d stateDir) workerPath() string     { return filepath.Join(string(d), WorkerFile) }
func (d stateDir) workerLockPath() string { return filepath.Join(string(d), workerLock) }

// Worker is what a worker's directory records about its place in a shared
// crawl. Its JSON is the on-disk format of worker.json: keep it stable.
type Worker struct {
	Frontier string `json:"frontier"` // redacted (RedactedURL): resume takes the URL again
	Crawl    string `json:"crawl"`
	WorkerID string `json:"worker_id"`
}

// NewWorker is a new worker of crawl name in the shared frontier at rawURL,
// with a fresh random id.
func NewWorker(rawURL, name string) Worker {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return Worker{Frontier: RedactedURL(rawURL), Crawl: name, WorkerID: hex.EncodeToString(b[:])}
}

// ReadWorker reads dir's worker file; ok is false when dir holds none (a
// crawl of its own, or nothing).
func ReadWorker(dir string) (w Worker, ok bool, err error) {
	p := stateDir(dir).workerPath()
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return Worker{}, false, nil
	}
	if err != nil {
		return Worker{}, false, fmt.Errorf("read %s: %w", p, err)
	}
	if err := json.Unmarshal(b, &w); err != nil || w.WorkerID == "" || w.Crawl == "" {
		return Worker{}, false, fmt.Errorf("%s is not a trawl worker file", p)
	}
	return w, true, nil
}

// WriteWorker records w as dir's worker (atomically: a reader sees the old
// file or the new one).
func WriteWorker(dir string, w Worker) error {
	b, _ := json.MarshalIndent(w, "", "  ")
	if err := atomicfile.WriteFile(stateDir(dir).workerPath(), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", WorkerFile, err)
	}
	return nil
}

// LockWorker takes dir's worker lock, to be held (until Close) for the
// life of the worker: holding it is what proves an earlier incarnation of
// this worker dead, so joining may take its leases back at once. Another
// process holding it is ErrLocked.
func LockWorker(dir string) (io.Closer, error) {
	f, err := os.OpenFile(stateDir(dir).workerLockPath(), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	if err := flockNB(f); err != nil {
		f.Close()
		if errors.Is(err, errors.ErrUnsupported) {
			return nil, fmt.Errorf("lock %s: %w", dir, err)
		}
		return nil, fmt.Errorf("%s is in use by another trawl worker: %w", dir, ErrLocked)
	}
	return f, nil
}
