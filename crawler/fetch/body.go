package fetch

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/andybalholm/brotli"
)

// maxEncodings bounds stacked Content-Encodings ("gzip, br"); more is abuse.
const maxEncodings = 2

// rawBound is the most raw (wire) bytes read for a body capped at maxBody:
// generous, since a compressed stream can be a little longer than its
// content, yet finite, so a stream that decodes to nothing (endless empty
// gzip members) cannot be read forever.
func rawBound(maxBody int64) int64 {
	const slack = 64 << 10
	if maxBody > (math.MaxInt64-slack)/2 {
		return math.MaxInt64
	}
	return 2*maxBody + slack
}

// wireReader reads the raw body: it counts bytes against a bound, pets the
// stall watchdog on every read that makes progress, and marks network errors
// as wireError so they are not mistaken for decoder errors.
type wireReader struct {
	r        io.Reader
	n, limit int64
	watchdog *time.Timer
	stall    time.Duration
}

func (w *wireReader) Read(p []byte) (int, error) {
	if w.n >= w.limit {
		return 0, errRawLimit
	}
	if rest := w.limit - w.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := w.r.Read(p)
	w.n += int64(n)
	if n > 0 {
		w.watchdog.Reset(w.stall)
	}
	if err != nil && err != io.EOF { // decoders compare with io.EOF
		err = &wireError{err}
	}
	return n, err
}

// decoder wraps r with the decoders for the Content-Encoding header value,
// outermost encoding last.
func decoder(r io.Reader, contentEncoding string) (io.Reader, error) {
	if contentEncoding == "" {
		return r, nil
	}
	codings := strings.Split(contentEncoding, ",")
	if len(codings) > maxEncodings {
		return nil, fmt.Errorf("content-encoding %q: more than %d codings", contentEncoding, maxEncodings)
	}
	// Codings are listed in the order they were applied; undo them in reverse.
	for i := len(codings) - 1; i >= 0; i-- {
		var err error
		switch c := strings.ToLower(strings.TrimSpace(codings[i])); c {
		case "", "identity":
		case "gzip", "x-gzip":
			r, err = gzip.NewReader(r)
		case "deflate":
			r, err = deflateReader(r)
		case "br":
			r = brotli.NewReader(r)
		default:
			err = fmt.Errorf("unsupported content-encoding %q", c)
		}
		if err != nil {
			return nil, fmt.Errorf("content-encoding %s: %w", codings[i], err)
		}
	}
	return r, nil
}

// deflateReader decodes HTTP "deflate", which RFC 9110 defines as zlib but
// which some servers send as raw DEFLATE; the zlib header tells them apart.
func deflateReader(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	h, err := br.Peek(2)
	if err != nil && len(h) < 2 {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if h[0]&0x0f == 8 && (uint16(h[0])<<8|uint16(h[1]))%31 == 0 {
		return zlib.NewReader(br)
	}
	return flate.NewReader(br), nil
}

// readCapped reads r to EOF but keeps at most max bytes; it reports whether
// there was more (or the raw bound was hit). sizeHint, if positive, is the
// expected length. Memory is bounded by max whatever r produces: r is read
// through a LimitReader of max+1 bytes, the +1 telling "exactly max" from
// "more than max".
func readCapped(r io.Reader, max, sizeHint int64) (body []byte, truncated bool, err error) {
	limit := max + 1
	initial := int64(16 << 10)
	if sizeHint > 0 {
		initial = sizeHint + 1 // +1 so EOF is seen without growing
	}
	buf := make([]byte, 0, min(initial, limit))
	lr := io.LimitReader(r, limit)
	for int64(len(buf)) < limit {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
			if int64(cap(buf)) > limit {
				buf = buf[:len(buf):int(limit)]
			}
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, false, nil
		}
		if errors.Is(err, errRawLimit) {
			return buf[:min(int64(len(buf)), max)], true, nil
		}
		if err != nil {
			return nil, false, err
		}
	}
	return buf[:max], true, nil
}
