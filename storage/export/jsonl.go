package export

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/trawl-crawler/trawl/internal/atomicfile"
	"github.com/trawl-crawler/trawl/storage"
)

// jsonlLine is one output object; field order is the output order.
type jsonlLine struct {
	URL          string            `json:"url"`
	FinalURL     string            `json:"final_url"`
	Status       int               `json:"status"`
	ContentType  string            `json:"content_type"`
	FetchedAt    string            `json:"fetched_at"`
	Depth        int               `json:"depth"`
	SHA256       string            `json:"sha256"`
	Headers      map[string]string `json:"headers"`
	Body         *string           `json:"body,omitempty"` // nil only with Options.NoBody
	BodyEncoding string            `json:"body_encoding,omitempty"`
	Truncated    bool              `json:"truncated,omitempty"`
	LinksDropped int               `json:"links_dropped,omitempty"` // links past --max-links-per-page, not followed
}

// decisionLine is a decision record's output object: a URL that got no
// response, and why. It shares no field with jsonlLine but url and depth.
type decisionLine struct {
	URL       string `json:"url"`
	Depth     int    `json:"depth"`
	Reason    string `json:"reason"`
	DecidedAt string `json:"decided_at"`
}

// jsonlWriter writes one line per record to a temp file (renamed on close) or to Stdout.
type jsonlWriter struct {
	out    string
	noBody bool
	enc    *json.Encoder
	tmp    *atomicfile.File // nil when writing to stdout
	bw     *bufio.Writer
	cw     countWriter
}

func newJSONLWriter(o Options) (*jsonlWriter, error) {
	w := &jsonlWriter{out: o.Out, noBody: o.NoBody}
	var dst io.Writer = o.Stdout
	if o.Out != "-" {
		dir := filepath.Dir(o.Out)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("export jsonl: %w", err)
		}
		f, err := atomicfile.Create(o.Out, 0o644)
		if err != nil {
			return nil, fmt.Errorf("export jsonl: %w", err)
		}
		w.tmp, dst = f, f
	}
	w.cw = countWriter{w: dst}
	w.bw = bufio.NewWriterSize(&w.cw, 256<<10)
	// HTML bodies are full of <, > and &: escaping them as \u003c makes
	// the file half as large again and unreadable with grep.
	w.enc = json.NewEncoder(w.bw)
	w.enc.SetEscapeHTML(false)
	return w, nil
}

func (w *jsonlWriter) write(_ int, r *storage.Record) (bool, string, error) {
	if r.Decision {
		d := decisionLine{URL: r.URL, Depth: r.Depth, Reason: r.Reason, DecidedAt: r.DecidedAt.UTC().Format(time.RFC3339Nano)}
		if err := w.enc.Encode(d); err != nil {
			return false, "", fmt.Errorf("export jsonl %s: %w", r.URL, err)
		}
		return true, "", nil
	}
	l := toJSONL(r)
	if w.noBody {
		l.Body, l.BodyEncoding = nil, ""
	}
	// Encode writes one line; invalid UTF-8 becomes U+FFFD, so the line
	// stays valid JSON.
	if err := w.enc.Encode(l); err != nil {
		return false, "", fmt.Errorf("export jsonl %s: %w", r.URL, err)
	}
	return true, "", nil
}

func toJSONL(r *storage.Record) jsonlLine {
	l := jsonlLine{
		URL: r.URL, FinalURL: r.FinalURL, Status: r.Status, ContentType: r.ContentType,
		FetchedAt: r.FetchedAt.UTC().Format(time.RFC3339Nano), Depth: r.Depth, SHA256: r.SHA256,
		Headers: make(map[string]string, len(r.Header)), Truncated: r.Truncated, LinksDropped: r.LinksDropped,
	}
	for k, vs := range r.Header {
		l.Headers[k] = strings.Join(vs, ", ")
	}
	body := ""
	if isTextual(r.ContentType) && utf8.Valid(r.Body) {
		body = string(r.Body)
	} else if len(r.Body) > 0 {
		body = base64.StdEncoding.EncodeToString(r.Body)
		l.BodyEncoding = "base64"
	}
	l.Body = &body
	return l
}

// isTextual reports whether a media type is text worth emitting as a JSON string.
func isTextual(ct string) bool {
	mt := mediaType(ct)
	switch {
	case strings.HasPrefix(mt, "text/"):
		return true
	case strings.HasSuffix(mt, "+json"), strings.HasSuffix(mt, "+xml"):
		return true
	}
	switch mt {
	case "application/json", "application/xml", "application/xhtml+xml", "application/javascript",
		"application/ecmascript", "application/x-javascript", "application/ld+json", "image/svg+xml":
		return true
	}
	return false
}

func (w *jsonlWriter) close() ([]string, int64, error) {
	if err := w.bw.Flush(); err != nil {
		w.abort()
		return nil, 0, fmt.Errorf("export jsonl: %w", err)
	}
	if w.tmp == nil {
		return []string{"-"}, w.cw.n, nil
	}
	if err := w.tmp.Commit(); err != nil {
		return nil, 0, fmt.Errorf("export jsonl: %w", err)
	}
	return []string{w.out}, w.cw.n, nil
}

func (w *jsonlWriter) abort() {
	if w.tmp != nil {
		w.tmp.Abort()
	}
}

// countWriter counts bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
