package storage

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"sort"
	"time"

	"github.com/klauspost/compress/s2"
)

const (
	frameHeaderLen = 8         // u32 length + u32 CRC
	payloadV1      = 0x01      // payload version: DEFLATE of the v1 record encoding (read only)
	payloadV2      = 0x02      // payload version: S2 block of the v1 record encoding (read only)
	payloadV3      = 0x03      // payload version: S2 block of the v2 record encoding (written): v1 plus an extension before the body
	maxPayload     = 1<<31 - 1 // frames larger than this are rejected as corrupt
	maxStrField    = 1 << 30   // sanity bound while decoding
	maxRecord      = 1<<31 - 1 // an uncompressed record larger than this is not written, and rejected as corrupt
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Block is an encoded (compressed, framed, checksummed) record, ready to append.
type Block struct {
	frame []byte
	// digest is the body's SHA-256 prefix when the block holds a body the
	// store may refer later identical bodies to (indexable).
	digest    digestKey
	indexable bool
}

// Len reports the number of bytes the block occupies in a segment.
func (b Block) Len() int { return len(b.frame) }

// Encode compresses and frames r. Pure and safe for concurrent use: the
// crawler runs it in its parallel parse stage. It fills r.SHA256 if empty
// (the only change it makes to r).
func Encode(r *Record) (Block, error) {
	if r == nil {
		return Block{}, errors.New("storage: encode nil record")
	}
	if r.Decision && (r.Status != 0 || len(r.Body) > 0 || r.Header != nil || r.Revisit != nil) {
		return Block{}, fmt.Errorf("storage: encode %s: a decision record holds no response", r.URL)
	}
	if !r.Decision {
		r.fillSHA256()
	}
	body := r.Body
	if r.Revisit != nil {
		body = nil // stored once, in the block r.Revisit.Ref names
	}
	raw := appendRecord(make([]byte, 0, len(body)+512), r, body, true)
	if len(raw) > maxRecord {
		return Block{}, fmt.Errorf("storage: encode %s: record %d bytes exceeds the record limit", r.URL, len(raw))
	}

	// S2 (Snappy-compatible framing-free blocks): compression is the
	// largest CPU cost after HTML parsing, and S2 is several times faster
	// than DEFLATE level 1 on HTML for somewhat more bytes
	// (docs/BENCHMARKS.md, "Page store").
	frame := make([]byte, frameHeaderLen+1, frameHeaderLen+1+s2.MaxEncodedLen(len(raw)))
	frame[frameHeaderLen] = payloadV3
	enc := s2.Encode(frame[frameHeaderLen+1:cap(frame)], raw)
	frame = frame[:frameHeaderLen+1+len(enc)]
	n := len(frame) - frameHeaderLen
	if n > maxPayload {
		return Block{}, fmt.Errorf("storage: encode %s: payload %d bytes exceeds frame limit", r.URL, n)
	}
	binary.BigEndian.PutUint32(frame[0:4], uint32(n))
	crc := crc32.Update(crc32.Checksum(frame[0:4], castagnoli), castagnoli, frame[frameHeaderLen:])
	binary.BigEndian.PutUint32(frame[4:8], crc)
	blk := Block{frame: frame}
	if r.Revisit == nil && len(body) >= MinDedupBody {
		blk.digest, blk.indexable = digestOf(r.SHA256, body), true
	}
	return blk, nil
}

// appendRecord appends the record encoding of r (with body as its body) to
// b: v2 with ext, v1 (no extension) without. Field order is the format;
// change it only together with the payload version.
func appendRecord(b []byte, r *Record, body []byte, ext bool) []byte {
	for _, s := range []string{r.URL, r.FinalURL, r.Method, r.Reason, r.Proto, r.ContentType, r.Parent, r.SHA256} {
		b = appendString(b, s)
	}
	b = binary.AppendVarint(b, int64(r.Status))
	b = binary.AppendVarint(b, int64(r.Depth))
	t := r.FetchedAt
	if r.Decision {
		t = r.DecidedAt // one time slot: the extension says which it is
	}
	b = binary.AppendVarint(b, t.Unix())
	b = binary.AppendUvarint(b, uint64(t.Nanosecond()))
	if r.Truncated {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = appendHeader(b, r.Header)
	b = appendHeader(b, r.RequestHeader)
	if ext {
		b = appendExtension(b, r)
	}
	b = binary.AppendUvarint(b, uint64(len(body)))
	return append(b, body...)
}

// extDecision is the extension's flags bit of a decision record.
const extDecision = 1

// extFlagRobots is the extension's flags bit of a robots.txt record.
const extFlagRobots = 1 << 1

// Revisit kinds in the record extension.
const (
	revisitNone        = 0
	revisitIdentical   = 1
	revisitNotModified = 2
)

// appendExtension writes the v2 encoding's extension: a uvarint length,
// then the pass (uvarint) and the revisit kind (one byte), with the
// referred block's segment and offset (uvarints) when the kind is not
// none, then the server's IP (a string; absent in records written before
// it existed), then a flags byte (extDecision, extFlagRobots) and the links the page
// dropped past the cap (uvarint); both absent in older records.
// Readers skip bytes of the extension they do not know, so
// fields can be appended.
func appendExtension(b []byte, r *Record) []byte {
	ext := binary.AppendUvarint(make([]byte, 0, 24), uint64(max(r.Pass, 0)))
	switch {
	case r.Revisit == nil:
		ext = append(ext, revisitNone)
	default:
		kind := byte(revisitIdentical)
		if r.Revisit.Profile == ProfileServerNotModified {
			kind = revisitNotModified
		}
		ext = append(ext, kind)
		ext = binary.AppendUvarint(ext, uint64(r.Revisit.Ref.seg))
		ext = binary.AppendUvarint(ext, uint64(r.Revisit.Ref.off))
	}
	ext = appendString(ext, r.IP)
	flags := byte(0)
	if r.Robots {
		flags |= extFlagRobots
	}
	if r.Decision {
		flags |= extDecision
	}
	ext = append(ext, flags)
	ext = binary.AppendUvarint(ext, uint64(max(r.LinksDropped, 0)))
	b = binary.AppendUvarint(b, uint64(len(ext)))
	return append(b, ext...)
}

// readExtension parses what appendExtension wrote.
func (d *decoder) readExtension(r *Record) {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) {
		d.fail("extension length")
		return
	}
	ext := decoder{b: d.b[:n]}
	d.b = d.b[n:]
	r.Pass = int(ext.uvarint())
	switch kind := ext.byte1(); kind {
	case revisitNone:
	case revisitIdentical, revisitNotModified:
		seg, off := ext.uvarint(), ext.uvarint()
		if seg == 0 || seg > 1<<32-1 || off > 1<<62 {
			ext.fail("revisit reference")
		}
		r.Revisit = &Revisit{Profile: ProfileIdenticalPayload, Ref: Ref{seg: uint32(seg), off: int64(off)}}
		if kind == revisitNotModified {
			r.Revisit.Profile = ProfileServerNotModified
		}
	default:
		ext.fail("revisit kind")
	}
	if len(ext.b) > 0 && ext.err == nil {
		r.IP = ext.str()
	}
	if len(ext.b) > 0 && ext.err == nil {
		flags := ext.byte1()
		r.Robots = flags&extFlagRobots != 0
		if flags&extDecision != 0 {
			r.Decision, r.DecidedAt, r.FetchedAt = true, r.FetchedAt, time.Time{}
		}
	}
	if len(ext.b) > 0 && ext.err == nil {
		r.LinksDropped = int(min(ext.uvarint(), 1<<31))
	}
	if ext.err != nil {
		d.fail(ext.err.Error())
	}
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendHeader writes names in sorted order so equal headers encode equally.
// A nil header and an empty one both decode as nil.
func appendHeader(b []byte, h http.Header) []byte {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	b = binary.AppendUvarint(b, uint64(len(names)))
	for _, k := range names {
		b = appendString(b, k)
		vs := h[k]
		b = binary.AppendUvarint(b, uint64(len(vs)))
		for _, v := range vs {
			b = appendString(b, v)
		}
	}
	return b
}

// decodePayload reverses Encode for a payload whose checksum was verified.
func decodePayload(p []byte) (*Record, error) {
	if len(p) == 0 {
		return nil, errors.New("empty payload")
	}
	var raw []byte
	var err error
	switch p[0] {
	case payloadV2, payloadV3:
		// The length S2 says it will allocate comes from the payload: a
		// damaged one must not make the reader allocate gigabytes.
		if n, lerr := s2.DecodedLen(p[1:]); lerr == nil && n > maxRecord {
			return nil, fmt.Errorf("decompress: record of %d bytes: more than %d", n, maxRecord)
		}
		raw, err = s2.Decode(nil, p[1:])
	case payloadV1:
		raw, err = io.ReadAll(flate.NewReader(bytes.NewReader(p[1:])))
	default:
		return nil, fmt.Errorf("unknown payload version %#x", p[0])
	}
	if err != nil {
		return nil, fmt.Errorf("decompress: %w", err)
	}
	return decodeRaw(raw, p[0] == payloadV3)
}

// decodeRaw decodes a record encoding: v2 (with the extension) or v1.
func decodeRaw(raw []byte, ext bool) (*Record, error) {
	d := decoder{b: raw}
	r := &Record{}
	for _, s := range []*string{&r.URL, &r.FinalURL, &r.Method, &r.Reason, &r.Proto, &r.ContentType, &r.Parent, &r.SHA256} {
		*s = d.str()
	}
	r.Status = int(d.varint())
	r.Depth = int(d.varint())
	sec := d.varint()
	nsec := d.uvarint()
	r.FetchedAt = time.Unix(sec, int64(nsec)).UTC()
	r.Truncated = d.byte1() == 1
	r.Header = d.header()
	r.RequestHeader = d.header()
	if ext {
		d.readExtension(r)
	}
	if n := d.uvarint(); d.err == nil {
		if n != uint64(len(d.b)) {
			d.fail("body length")
		} else if n > 0 {
			r.Body = d.b
		}
	}
	if d.err != nil {
		return nil, d.err
	}
	if r.Decision && (r.Status != 0 || len(r.Body) > 0 || r.Header != nil || r.Revisit != nil) {
		// Encode never writes a decision with a response: the bytes are
		// damaged (found by FuzzDecodePayload).
		return nil, fmt.Errorf("%w: a decision record holds a response", ErrCorrupt)
	}
	if !r.Decision && r.Status == 0 && r.Header == nil && r.Reason != "" && len(r.Body) == 0 {
		// Written before decision records: a failure without a response.
		r.Decision, r.DecidedAt, r.FetchedAt, r.SHA256 = true, r.FetchedAt, time.Time{}, ""
	}
	return r, nil
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("record encoding: bad %s", what)
	}
	d.b = nil
}

func (d *decoder) uvarint() uint64 { return readNum(d, binary.Uvarint, "uvarint") }

func (d *decoder) varint() int64 { return readNum(d, binary.Varint, "varint") }

// readNum reads one number with read (binary.Uvarint or binary.Varint);
// what names it in the error.
func readNum[T uint64 | int64](d *decoder, read func([]byte) (T, int), what string) T {
	v, n := read(d.b)
	if n <= 0 {
		d.fail(what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte1() byte {
	if len(d.b) < 1 {
		d.fail("flag")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) str() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) || n > maxStrField {
		d.fail("string length")
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) header() http.Header {
	n := d.uvarint()
	if n == 0 || d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.fail("header count")
		return nil
	}
	h := make(http.Header, n)
	for range n {
		k := d.str()
		nv := d.uvarint()
		if nv > uint64(len(d.b)) {
			d.fail("header value count")
			return nil
		}
		vs := make([]string, 0, nv)
		for range nv {
			vs = append(vs, d.str())
		}
		h[k] = vs
	}
	return h
}

// frameLen is the payload length a frame header (hdr) declares, or 0 when
// that is 0 or more than room, the bytes the frame may take after its
// header (what is left of the segment or buffer): the one length check of
// every reader of frames.
func frameLen(hdr []byte, room int64) int64 {
	n := int64(binary.BigEndian.Uint32(hdr[0:4]))
	if n > room {
		return 0
	}
	return n
}

// openFrame checks a frame's checksum (hdr, then payload) and decodes its
// payload; an error says what is wrong, for the caller to name the place.
func openFrame(hdr, payload []byte) (*Record, error) {
	if crc32.Update(crc32.Checksum(hdr[0:4], castagnoli), castagnoli, payload) != binary.BigEndian.Uint32(hdr[4:8]) {
		return nil, errors.New("checksum mismatch")
	}
	return decodePayload(payload)
}
