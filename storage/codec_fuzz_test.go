package storage

import (
	"encoding/binary"
	"net/http"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/klauspost/compress/s2"
)

// fuzzSeedRecords are records of each shape the store writes: a page, a
// failure, a revisit, a truncated body with odd headers.
func fuzzSeedRecords() []*Record {
	at := time.Date(2026, 12, 3, 9, 0, 0, 123456789, time.UTC)
	return []*Record{
		{URL: "http://a.test/", FinalURL: "http://a.test/", Method: "GET", Status: 200, Proto: "HTTP/1.1",
			ContentType: "text/html", Header: http.Header{"Content-Type": {"text/html"}, "Set-Cookie": {"a=1", "b=2"}},
			RequestHeader: http.Header{"User-Agent": {"trawl/1.0"}}, Body: []byte("<a href=/x>x</a>"), FetchedAt: at, IP: "127.0.0.1"},
		{URL: "http://a.test/gone", Method: "GET", Reason: "robots-disallowed", FetchedAt: at, Depth: 3, Parent: "http://a.test/"},
		{URL: "http://a.test/copy", FinalURL: "http://a.test/copy", Method: "GET", Status: 200, Body: []byte("same"), FetchedAt: at,
			Revisit: &Revisit{}, Pass: 2},
		{URL: "http://b.test/\xff", Method: "GET", Status: 206, Truncated: true, Header: http.Header{"X-\xfe": {"\x00"}},
			Body: make([]byte, 300), FetchedAt: time.Unix(-1, 0).UTC()},
	}
}

// FuzzDecodePayload: a stored payload of any bytes (the checksum passed, or
// a reader trusts a damaged segment) decodes to a record or an error, never
// a panic; a record that decodes encodes again to the same record.
func FuzzDecodePayload(f *testing.F) {
	for _, r := range fuzzSeedRecords() {
		b, err := Encode(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b.frame[frameHeaderLen:])
	}
	f.Add([]byte{payloadV1})
	f.Add([]byte{0x7f, 1, 2, 3})
	f.Fuzz(func(t *testing.T, p []byte) {
		roundTrip(t, p)
	})
}

// FuzzDecodeRecord reaches the record decoder itself: the input is the
// uncompressed encoding, wrapped the way Encode wraps it (S2, version byte
// v2 or v3), so mutations are not spent on the compression layer.
func FuzzDecodeRecord(f *testing.F) {
	for _, r := range fuzzSeedRecords() {
		b, err := Encode(r)
		if err != nil {
			f.Fatal(err)
		}
		raw, err := s2.Decode(nil, b.frame[frameHeaderLen+1:])
		if err != nil {
			f.Fatal(err)
		}
		f.Add(true, raw)
		f.Add(false, raw)
	}
	f.Fuzz(func(t *testing.T, v3 bool, raw []byte) {
		version := byte(payloadV2)
		if v3 {
			version = payloadV3
		}
		roundTrip(t, append([]byte{version}, s2.Encode(nil, raw)...))
	})
}

// roundTrip decodes p and, if it is a record, checks that encoding it and
// decoding again gives the same record.
func roundTrip(t *testing.T, p []byte) {
	r, err := decodePayload(p)
	if err != nil {
		if r != nil {
			t.Fatalf("decodePayload returned a record with error %v", err)
		}
		return
	}
	b, err := Encode(r)
	if err != nil {
		t.Fatalf("Encode of a decoded record: %v", err)
	}
	r2, err := decodePayload(b.frame[frameHeaderLen:])
	if err != nil {
		t.Fatalf("decoding a re-encoded record: %v\nrecord %+v", err, r)
	}
	if !reflect.DeepEqual(r, r2) {
		t.Fatalf("round trip changed the record:\n%+v\n%+v", r, r2)
	}
}

// TestDecodeClaimedLengthBounded: a damaged payload whose S2 header claims
// gigabytes is refused before anything that size is allocated (found by
// FuzzDecodePayload: each such input allocated 3.5 GB and the fuzzing
// process died).
func TestDecodeClaimedLengthBounded(t *testing.T) {
	p := binary.AppendUvarint([]byte{payloadV3}, 3<<30)
	p = append(p, "not really compressed"...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := decodePayload(p)
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("decoded a payload claiming 3 GiB")
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("decoding allocated %d bytes for a %d-byte payload", grew, len(p))
	}
}
