package storage

import "time"

// Revisit profiles: why a record's body lives in an earlier block. The
// values are the WARC 1.1 profile URIs the WARC export writes.
const (
	// ProfileIdenticalPayload: another URL (or an earlier fetch) had the
	// same payload digest, so the body was stored once.
	ProfileIdenticalPayload = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
	// ProfileServerNotModified: a recrawl's conditional request was
	// answered 304, or the body was unchanged since the previous pass.
	ProfileServerNotModified = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
)

// Revisit links a record without a stored body to the earlier block that
// holds it. Profile and Ref are stored; the reader fills the rest from the
// referred record when it reads (Body too, on the referring record).
type Revisit struct {
	Profile string
	Ref     Ref

	URL         string    // the referred record's URL
	FetchedAt   time.Time // its fetch time: WARC-Refers-To-Date
	Status      int       // its status
	ContentType string    // its Content-Type
	Pass        int       // its pass
}

// Ref is the position of a block in the store (opaque outside storage).
type Ref struct {
	seg uint32
	off int64
}

// IsZero reports a Ref that names no block.
func (r Ref) IsZero() bool { return r.seg == 0 }

// Ref returns the position of a record the reader returned (zero for a
// record that was not read from a store): what a later record refers to.
func (r *Record) Ref() Ref { return r.pos }
