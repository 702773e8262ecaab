package export

import (
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/trawl-crawler/trawl/internal/atomicfile"
	"github.com/trawl-crawler/trawl/storage"
)

// warcWriter writes WARC 1.1: one gzip member per record, a warcinfo record
// first in every file, then a request and a response record per page.
// Each file is written under a hidden temporary name and renamed to NAME
// when complete (internal/atomicfile).
type warcWriter struct {
	o       Options
	f       *atomicfile.File
	cw      countWriter
	idx     int
	infoID  string
	files   []string
	total   int64
	created time.Time
	// written holds the store positions of the responses written in full,
	// which revisit records may refer to (revisit.go).
	written map[storeRef]struct{}
}

// storeRef is the position of a record in one of the export's stores:
// positions are per store, and a revisit refers within its own store.
type storeRef struct {
	src int
	ref storage.Ref
}

func newWARCWriter(o Options) (*warcWriter, error) {
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, fmt.Errorf("export warc: %w", err)
	}
	return &warcWriter{o: o, created: time.Now().UTC()}, nil
}

func (w *warcWriter) fileName() string { return fmt.Sprintf("trawl-%05d.warc.gz", w.idx) }

// open starts the next file and writes its warcinfo record.
func (w *warcWriter) open() error {
	f, err := atomicfile.Create(filepath.Join(w.o.Out, w.fileName()), 0o644)
	if err != nil {
		return fmt.Errorf("export warc: %w", err)
	}
	w.f, w.cw = f, countWriter{w: f}
	w.infoID = recordID("warcinfo", w.fileName(), w.created.Format(time.RFC3339Nano))
	sw := w.o.Software
	if sw == "" {
		sw = "trawl"
	}
	info := fmt.Sprintf("software: %s\r\nformat: WARC File Format 1.1\r\nconformsTo: https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\n", sw)
	return w.record([][2]string{
		{"WARC-Type", "warcinfo"},
		{"WARC-Record-ID", w.infoID},
		{"WARC-Date", w.created.Format(time.RFC3339)},
		{"WARC-Filename", w.fileName()},
		{"Content-Type", "application/warc-fields"},
	}, []byte(info))
}

// finish closes the current file and gives it its final name.
func (w *warcWriter) finish() error {
	if w.f == nil {
		return nil
	}
	err := w.f.Commit()
	w.f = nil
	if err != nil {
		return fmt.Errorf("export warc: %w", err)
	}
	w.files = append(w.files, w.fileName())
	w.total += w.cw.n
	w.idx++
	return nil
}

func (w *warcWriter) write(src int, r *storage.Record) (bool, string, error) {
	if r.Decision || r.Status == 0 {
		return false, skipNoResponse, nil
	}
	if w.f != nil && w.cw.n >= w.o.WARCMaxSize {
		if err := w.finish(); err != nil {
			return false, "", err
		}
	}
	if w.f == nil {
		if err := w.open(); err != nil {
			return false, "", err
		}
	}
	date := r.FetchedAt.UTC().Format(time.RFC3339Nano)
	seq := strconv.FormatUint(r.Seq, 10)
	reqID := recordID("request", r.URL, seq, date)
	respID := recordID("response", r.URL, seq, date)

	req := httpRequestBlock(r)
	if err := w.record(append(w.pairHeader("request", reqID, respID, date, r.URL),
		[2]string{"Content-Type", "application/http;msgtype=request"},
	), req); err != nil {
		return false, "", err
	}
	resp := httpResponseBlock(r)
	hdr := append(w.pairHeader("response", respID, reqID, date, r.URL),
		[2]string{"Content-Type", "application/http;msgtype=response"},
		[2]string{"WARC-Payload-Digest", sha1Digest(r.Body)},
	)
	if r.Truncated {
		hdr = append(hdr, [2]string{"WARC-Truncated", "length"})
	}
	if r.IP != "" {
		hdr = append(hdr, [2]string{"WARC-IP-Address", r.IP})
	}
	if rhdr, rblock, ok := w.warcRevisit(src, r, date, reqID, respID); ok {
		hdr, resp = rhdr, rblock
	} else {
		if w.written == nil {
			w.written = map[storeRef]struct{}{}
		}
		w.written[storeRef{src, r.Ref()}] = struct{}{} // later revisits may refer to it
	}
	if err := w.record(hdr, resp); err != nil {
		return false, "", err
	}
	return true, "", nil
}

// record writes one WARC record as its own gzip member. Content-Length and
// WARC-Block-Digest are added here.
func (w *warcWriter) record(hdr [][2]string, block []byte) error {
	var b bytes.Buffer
	b.WriteString("WARC/1.1\r\n")
	for _, kv := range hdr {
		b.WriteString(kv[0] + ": " + oneLine(kv[1]) + "\r\n")
	}
	fmt.Fprintf(&b, "WARC-Block-Digest: %s\r\nContent-Length: %d\r\n\r\n", sha1Digest(block), len(block))
	b.Write(block)
	b.WriteString("\r\n\r\n")
	zw, err := gzip.NewWriterLevel(&w.cw, gzip.BestSpeed)
	if err == nil {
		_, err = zw.Write(b.Bytes())
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		return fmt.Errorf("export warc %s: %w", w.fileName(), err)
	}
	return nil
}

// httpRequestBlock rebuilds the request we sent from RequestHeader.
func httpRequestBlock(r *storage.Record) []byte {
	var b bytes.Buffer
	target, host := "/", ""
	if u, err := url.Parse(r.URL); err == nil {
		target, host = u.RequestURI(), u.Host
	}
	method := r.Method
	if method == "" {
		method = "GET"
	}
	fmt.Fprintf(&b, "%s %s %s\r\n", method, oneLine(target), protoOr(r.Proto))
	h := r.RequestHeader.Clone()
	if h == nil {
		h = http.Header{}
	}
	if h.Get("Host") == "" && host != "" {
		h.Set("Host", host)
	}
	writeHeader(&b, h)
	b.WriteString("\r\n")
	return b.Bytes()
}

// httpResponseBlock is the status line, headers and the stored body. The body
// was decoded by the crawler, so Content-Encoding and Transfer-Encoding are
// dropped and Content-Length is set to the stored length.
func httpResponseBlock(r *storage.Record) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %d %s\r\n", protoOr(r.Proto), r.Status, http.StatusText(r.Status))
	h := r.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	for _, k := range []string{"Content-Encoding", "Transfer-Encoding", "Content-Length"} {
		h.Del(k)
	}
	h.Set("Content-Length", strconv.Itoa(len(r.Body)))
	writeHeader(&b, h)
	b.WriteString("\r\n")
	b.Write(r.Body)
	return b.Bytes()
}

func protoOr(p string) string {
	if p == "" {
		return "HTTP/1.1"
	}
	return oneLine(p)
}

// writeHeader writes h sorted by name; names that are not valid tokens are
// dropped and CR/LF in values become spaces, so no header can break the framing.
func writeHeader(b *bytes.Buffer, h http.Header) {
	names := make([]string, 0, len(h))
	for k := range h {
		if validToken(k) {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range h[k] {
			b.WriteString(k + ": " + oneLine(v) + "\r\n")
		}
	}
}

func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}

// sha1Digest is the conventional WARC digest: "sha1:" + base32 of SHA-1.
func sha1Digest(b []byte) string {
	sum := sha1.Sum(b)
	return "sha1:" + base32.StdEncoding.EncodeToString(sum[:])
}

// pairHeader is the start of the named fields of one record of a
// request/response (or request/revisit) pair: its type and ID, the fetch
// date and URI, the other record of the pair and the file's warcinfo
// record. Callers append the fields of their type.
func (w *warcWriter) pairHeader(typ, id, concurrentTo, date, uri string) [][2]string {
	return [][2]string{
		{"WARC-Type", typ},
		{"WARC-Record-ID", id},
		{"WARC-Date", date},
		{"WARC-Target-URI", uri},
		{"WARC-Concurrent-To", concurrentTo},
		{"WARC-Warcinfo-ID", w.infoID},
	}
}

// recordID derives a stable urn:uuid from the parts (UUID version 8 layout
// over SHA-256), so exporting the same store twice gives the same IDs.
func recordID(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	u := sum[:16]
	u[6] = u[6]&0x0f | 0x80
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("<urn:uuid:%x-%x-%x-%x-%x>", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

func (w *warcWriter) close() ([]string, int64, error) {
	if err := w.finish(); err != nil {
		return nil, 0, err
	}
	return w.files, w.total, nil
}

func (w *warcWriter) abort() {
	if w.f != nil {
		w.f.Abort()
		w.f = nil
	}
}
