package frontier

import "errors"

var (
	// ErrNotFrontier reports that the file is not a trawl frontier: bbolt
	// refused it, or the meta bucket or its magic value is missing.
	ErrNotFrontier = errors.New("frontier: not a trawl frontier file")
	// ErrNewerSchema reports a schema version newer than this build knows.
	ErrNewerSchema = errors.New("frontier: schema version is newer than this build")
	// ErrLocked reports that another process (or another Open in this
	// process) holds the file. The wrapping message names the path and, when
	// the sidecar pid file is readable, the holder's pid.
	ErrLocked = errors.New("frontier: file is locked by another process")
	// ErrClosed is returned by calls made after Close.
	ErrClosed = errors.New("frontier: closed")
	// ErrStaleLease is returned by Complete for a lease that is not the
	// current lease of its URL (wrong epoch, already completed, unknown URL).
	ErrStaleLease = errors.New("frontier: stale or unknown lease")
)
