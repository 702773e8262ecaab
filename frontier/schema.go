package frontier

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// On-disk layout. Every bucket is top level:
//
//	meta     magic, schema version, epoch, seq, stats counters, checkpoint
//	usermeta SetMeta keys
//	seen     seq u64 -> (fingerprint u64, depth u8) ... (the seen-set, as a log)
//	lowered  n u64 -> (fingerprint u64, depth u8) ...   (depth lowerings, as a log)
//	reparse  seq u64 -> ""                              (fetched pages whose links must be extracted again)
//	records  seq u64 -> urlRec                          (the state of each URL, in add order)
//	queue    hostKey | depth u32 | seq u64 -> ""      (queued or leased, not delayed)
//	retry    hostKey | retryAt u64 | seq u64 -> ""    (queued or leased, delayed retry)
//	hosts    host -> hostRec                            (politeness: next-allowed time, delay, robots.txt)
//	deferred seq u64 -> ""                              (deferred URLs: what RequeueDeferred puts back)
//
// The split of the URL table is what makes batches cheap. bbolt rewrites
// every page a transaction dirties, so what matters is how many pages a
// batch touches. Records are keyed by the sequence number given on Add:
// new ones append at the end of the bucket (filled to recordFill, so that a
// completion's growth fits in its page), and completions, which follow add
// order roughly, touch a narrow band of it (a lease writes no record).
// Queue and retry keys end in the seq, so a refill finds the record by key.
//
// The seen-set is not a tree on disk (schema 2 had an index bucket keyed by
// URL hash: random inserts dirtied nearly every index page per batch). Each
// transaction that adds URLs appends one seen entry: the key is the seq of
// its first new URL, the value the fingerprints (schema.go: fingerprint) of its new URLs
// in seq order, each followed by the depth it was added at (capped at 255),
// so the log is also a seq -> fingerprint map. Open reads it into the
// in-memory seen-set (internal/fpset); dedup never reads the tree. A transaction that lowers
// known URLs' depths (shortest depth, see Item) appends one lowered entry
// the same way; Open applies it after the seen log (schema 4).
//
// A lease writes nothing (schema 5): a leased URL keeps its queue or retry
// entry, and memory alone knows it is out; its completion deletes the
// entry in the transaction that records the outcome, beside the inserts of
// its children, which mostly go to the same host's queue pages. After a
// crash every URL that was in flight is simply still queued. Schema 4 had
// a leases bucket (seq -> epoch) and deleted the queue entry on lease, and
// kept each host's queue counts in its record, so every lease rewrote a
// leases page, a queue page and a host page in one transaction and its
// completion the leases page again in another; Open now counts each
// host's entries from the queue and retry buckets instead.
//
// hostKey is a big-endian u16 length followed by the host bytes, so one
// host's keys form a contiguous, prefix-scannable range whatever bytes the
// opaque host string holds.
var (
	bktMeta     = []byte("meta")
	bktUserMeta = []byte("usermeta")
	bktSeen     = []byte("seen")
	bktRecords  = []byte("records")
	bktQueue    = []byte("queue")
	bktRetry    = []byte("retry")
	// bktLeases held seq -> epoch for each leased URL up to schema 4;
	// Open migrates it away (migrate4).
	bktLeases  = []byte("leases")
	bktHosts   = []byte("hosts")
	bktLowered = []byte("lowered")
	bktReparse = []byte("reparse")
	// bktDeferred came after schema 4: Open creates it in files without it.
	bktDeferred = []byte("deferred")

	allBuckets = [][]byte{bktMeta, bktUserMeta, bktSeen, bktRecords, bktQueue, bktRetry, bktHosts, bktLowered, bktReparse, bktDeferred}

	keyMagic      = []byte("magic")
	keySchema     = []byte("schema")
	keyEpoch      = []byte("epoch")
	keySeq        = []byte("seq")
	keyStats      = []byte("stats")
	keyCheckpoint = []byte("checkpoint")
)

const (
	magic         = "trawl-frontier"
	schemaVersion = 5
)

// seenUnit is the bytes one URL takes in a seen or lowered log entry: its
// fingerprint and a depth byte.
const seenUnit = 9

// URL states.
const (
	stQueued  byte = 1 // queued, or leased (memory knows which; on disk both have a queue entry)
	stDone    byte = 3
	stFailed  byte = 4
	stSkipped byte = 5
	// stDeferred: neither fetched nor failed; not queued (Drained ignores
	// it) until RequeueDeferred. Its seq is in the deferred bucket.
	stDeferred byte = 6
)

type seqKey [8]byte

func makeSeqKey(seq uint64) seqKey {
	var k seqKey
	binary.BigEndian.PutUint64(k[:], seq)
	return k
}

// urlRec is the value stored under a URL's seq. While leased it keeps the
// state and queue position it had when queued: its queue entry is still
// there (see the schema comment above).
type urlRec struct {
	state   byte
	inRetry bool // queued in the retry bucket (retryAt) rather than the queue bucket
	depth   int
	attempt int
	seq     uint64 // the key; not stored in the value
	retryAt int64  // unix nanoseconds, when inRetry
	status  int
	bytes   int64
	host    string
	url     string
	parent  string
	reason  string
	redirs  int    // redirects that led here; absent in older records (= 0)
	loc     []byte // Completion.Locator of a Done URL (opaque); absent in older records
	tag     string // Item.Tag / Completion.Tag; encoded after loc, absent in older records (= "")
}

func (r *urlRec) encode() []byte {
	return r.appendTo(make([]byte, 0, 32+len(r.host)+len(r.url)+len(r.parent)+len(r.reason)+len(r.loc)+len(r.tag)))
}

func (r *urlRec) appendTo(b []byte) []byte {
	flags := byte(0)
	if r.inRetry {
		flags = 1
	}
	b = append(b, r.state, flags)
	b = binary.AppendUvarint(b, uint64(r.depth))
	b = binary.AppendUvarint(b, uint64(r.attempt))
	b = binary.AppendVarint(b, r.retryAt)
	b = binary.AppendVarint(b, int64(r.status))
	b = binary.AppendVarint(b, r.bytes)
	b = appendStr(b, r.host)
	b = appendStr(b, r.url)
	b = appendStr(b, r.parent)
	b = appendStr(b, r.reason)
	b = binary.AppendUvarint(b, uint64(r.redirs))
	if len(r.loc) == 0 && r.tag == "" {
		return b
	}
	b = binary.AppendUvarint(b, uint64(len(r.loc)))
	b = append(b, r.loc...)
	if r.tag != "" {
		b = appendStr(b, r.tag)
	}
	return b
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

var errCorrupt = errors.New("frontier: corrupt record")

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 { return readNum(d, binary.Uvarint) }

func (d *decoder) varint() int64 { return readNum(d, binary.Varint) }

// readNum reads one number with read (binary.Uvarint or binary.Varint).
func readNum[T uint64 | int64](d *decoder, read func([]byte) (T, int)) T {
	if d.err != nil {
		return 0
	}
	v, n := read(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) str() string { return string(d.field()) }

func (d *decoder) bytes() []byte { return append([]byte(nil), d.field()...) }

// field reads a length-prefixed field and returns it in place (nil on
// failure or when empty).
func (d *decoder) field() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if uint64(len(d.b)) < n {
		d.err = errCorrupt
		return nil
	}
	f := d.b[:n]
	d.b = d.b[n:]
	return f
}

// recordAt decodes the URL record that k, a seq key of an index bucket
// (deferred, reparse), names in records; the error says whether the
// key or the record was bad.
func recordAt(records *bolt.Bucket, k []byte) (urlRec, error) {
	seq, err := readU64(k)
	if err != nil {
		return urlRec{}, fmt.Errorf("key %x: %w", k, err)
	}
	r, err := decodeURLRec(seq, records.Get(k))
	if err != nil {
		return urlRec{}, fmt.Errorf("seq %d: %w", seq, err)
	}
	return r, nil
}

func decodeURLRec(seq uint64, v []byte) (urlRec, error) {
	r := urlRec{seq: seq}
	if len(v) < 2 {
		return r, errCorrupt
	}
	r.state, r.inRetry = v[0], v[1]&1 != 0
	d := decoder{b: v[2:]}
	r.depth = int(d.uvarint())
	r.attempt = int(d.uvarint())
	r.retryAt = d.varint()
	r.status = int(d.varint())
	r.bytes = d.varint()
	r.host, r.url, r.parent, r.reason = d.str(), d.str(), d.str(), d.str()
	if d.err == nil && len(d.b) > 0 {
		r.redirs = int(d.uvarint())
	}
	if d.err == nil && len(d.b) > 0 {
		if r.loc = d.bytes(); len(r.loc) == 0 {
			r.loc = nil
		}
	}
	if d.err == nil && len(d.b) > 0 {
		r.tag = d.str()
	}
	return r, d.err
}

// hostRec is the persisted state of one host. Up to schema 4 two counts
// followed the delay (the host's queue and retry entries); they are
// written as 0 and skipped on reading since, and Open counts the entries
// (countQueued).
type hostRec struct {
	nextAllowed int64 // unix nanoseconds
	delay       time.Duration
	robots      *RobotsState
}

func (h *hostRec) encode() []byte {
	b := make([]byte, 0, 40)
	b = binary.AppendVarint(b, h.nextAllowed)
	b = binary.AppendVarint(b, int64(h.delay))
	b = append(b, 0, 0) // the two counts of schema 4 and before
	if h.robots == nil {
		return append(b, 0)
	}
	b = append(b, 1)
	b = binary.AppendVarint(b, int64(h.robots.Status))
	b = binary.AppendVarint(b, timeToNano(h.robots.FetchedAt))
	b = binary.AppendVarint(b, timeToNano(h.robots.Expires))
	b = binary.AppendUvarint(b, uint64(len(h.robots.Body)))
	return append(b, h.robots.Body...)
}

func decodeHostRec(v []byte) (hostRec, error) {
	var h hostRec
	d := decoder{b: v}
	h.nextAllowed = d.varint()
	h.delay = time.Duration(d.varint())
	d.uvarint() // the queue counts of schema 4 and before
	d.uvarint()
	if d.err != nil || len(d.b) < 1 {
		return h, errCorrupt
	}
	has := d.b[0]
	d.b = d.b[1:]
	if has == 1 {
		r := &RobotsState{}
		r.Status = int(d.varint())
		r.FetchedAt = nanoToTime(d.varint())
		r.Expires = nanoToTime(d.varint())
		r.Body = d.bytes()
		h.robots = r
	}
	return h, d.err
}

func timeToNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func nanoToTime(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

func hostKey(host string) []byte {
	b := make([]byte, 2, 2+len(host)+16)
	binary.BigEndian.PutUint16(b, uint16(len(host)))
	return append(b, host...)
}

// has reports whether c's bucket holds key. Values in the index and queue
// buckets are empty, and bbolt's Get may return nil for an empty value.
// Seek starts from the root, so a cursor may be reused across writes.
func has(c *bolt.Cursor, key []byte) bool {
	k, _ := c.Seek(key)
	return bytes.Equal(k, key)
}

// queueKey is the key of a queue or retry entry.
func queueKey(host string, suffix []byte) []byte {
	b := make([]byte, 2, 2+len(host)+len(suffix))
	binary.BigEndian.PutUint16(b, uint16(len(host)))
	return append(append(b, host...), suffix...)
}

// queueKeyHost returns the host key of a queue or retry key (queueKey's
// first part), or false if k is too short to hold one.
func queueKeyHost(k []byte) ([]byte, bool) {
	if len(k) < 2 || len(k) < 2+int(binary.BigEndian.Uint16(k)) {
		return nil, false
	}
	return k[2 : 2+binary.BigEndian.Uint16(k)], true
}

// seqOfSuffix returns the seq that ends every queue and retry key suffix.
func seqOfSuffix(suffix []byte) uint64 {
	return binary.BigEndian.Uint64(suffix[len(suffix)-8:])
}

// queueSuffix is the part of a queue key after the host key.
func queueSuffix(depth int, seq uint64) []byte {
	b := make([]byte, 12)
	binary.BigEndian.PutUint32(b, uint32(depth))
	binary.BigEndian.PutUint64(b[4:], seq)
	return b
}

// retrySuffix is the part of a retry key after the host key. Times before
// 1970 sort as 0, which only makes them due at once.
func retrySuffix(retryAt int64, seq uint64) []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint64(b, uint64(max(retryAt, 0)))
	binary.BigEndian.PutUint64(b[8:], seq)
	return b
}

// suffixOf returns the key suffix of a queued record in the bucket it lives in.
func (r *urlRec) suffix() []byte {
	if r.inRetry {
		return retrySuffix(r.retryAt, r.seq)
	}
	return queueSuffix(r.depth, r.seq)
}

func (r *urlRec) bucket() []byte {
	if r.inRetry {
		return bktRetry
	}
	return bktQueue
}

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func readU64(v []byte) (uint64, error) {
	if len(v) != 8 {
		return 0, fmt.Errorf("%w: want 8 bytes, got %d", errCorrupt, len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

func encodeStats(s Stats) []byte {
	b := make([]byte, 0, 64)
	for _, v := range []int64{s.Queued, s.Leased, s.Done, s.Failed, s.Skipped, s.Retries, s.Hosts, s.Bytes, s.Deferred} {
		b = binary.AppendVarint(b, v)
	}
	return b
}

func decodeStats(v []byte) (Stats, error) {
	d := decoder{b: v}
	var s Stats
	for _, p := range []*int64{&s.Queued, &s.Leased, &s.Done, &s.Failed, &s.Skipped, &s.Retries, &s.Hosts, &s.Bytes} {
		*p = d.varint()
	}
	if d.err == nil && len(d.b) > 0 { // absent before deferral existed: 0
		s.Deferred = d.varint()
	}
	return s, d.err
}

// fingerprint is the first 8 bytes of SHA-256(url). A new URL is taken for
// a seen one if its 60 compared bits equal those of one of the n URLs
// already held: over a whole crawl of N URLs that happens with probability
// about N²/2^61, 1 in 23,000 for N = 10M (and 1 in 2.3 million for 1M).
func fingerprint(url string) uint64 {
	h := sha256.Sum256([]byte(url))
	return binary.BigEndian.Uint64(h[:8])
}
