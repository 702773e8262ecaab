// Package sitemap parses sitemaps (sitemaps.org protocol 0.9): <urlset>
// files, <sitemapindex> files, their gzip-compressed forms, and plain-text
// sitemaps (one URL a line). It is pure: bytes in, entries out; fetching,
// scope, robots and politeness are the crawler's.
//
// Invariants (the guards hostile sitemaps meet):
//   - At most MaxEntries entries per file (the protocol's 50,000); the rest
//     of a longer file is ignored and Result.Truncated set.
//   - At most MaxUncompressed bytes (the protocol's 50 MB) are read after
//     gunzip: a gzip bomb costs 50 MB of decompression, then stops.
//   - Only <loc> values of 2,048 bytes or less that parse as absolute
//     http(s) URLs are returned; a malformed document yields the entries
//     before the first syntax error, and Err says why it stopped.
//   - A document whose root element is neither urlset nor sitemapindex
//     (an HTML error page, a feed, garbage) yields nothing.
package sitemap

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// Protocol limits (https://www.sitemaps.org/protocol.html).
const (
	MaxEntries      = 50_000
	MaxUncompressed = 50 << 20
	MaxLocLen       = 2048
)

// Kind is what a sitemap file lists.
type Kind uint8

// Kinds of sitemap file.
const (
	NotSitemap Kind = iota // not a sitemap: nothing taken from it
	URLSet                 // pages
	Index                  // other sitemaps
)

// Entry is one listed URL and its lastmod as written ("" if none).
type Entry struct {
	Loc     string
	Lastmod string
}

// Result is what Parse found.
type Result struct {
	Kind      Kind
	Entries   []Entry
	Truncated bool  // more than MaxEntries entries, or more than MaxUncompressed bytes
	Invalid   int   // <loc> values dropped (not absolute http(s), too long)
	Err       error // why parsing stopped early (syntax, gzip, size); nil when the whole file was read
}

// ErrTooLarge: the uncompressed sitemap passed MaxUncompressed bytes.
var ErrTooLarge = errors.New("sitemap larger than 50 MB uncompressed")

// Parse reads a sitemap body. contentType is the response's Content-Type;
// gzip is detected by its magic bytes whatever the type or file name says,
// and a body is read as plain text only when the type says text/plain and
// it does not start with '<' (servers label XML text/plain, or nothing,
// which Go's server sniffs as text/plain).
func Parse(body []byte, contentType string) Result {
	return parse(body, contentType, MaxUncompressed)
}

// parse is Parse with the uncompressed limit as a parameter (tests).
func parse(body []byte, contentType string, limit int64) Result {
	var r io.Reader = bytes.NewReader(body)
	if len(body) >= 2 && body[0] == 0x1f && body[1] == 0x8b {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return Result{Err: fmt.Errorf("gunzip: %w", err)}
		}
		defer zr.Close()
		r = zr
	}
	br := bufio.NewReader(&limitReader{r: r, n: limit})
	ct := strings.ToLower(contentType)
	if strings.HasPrefix(ct, "text/plain") && !startsWithTag(br) {
		return parseText(br)
	}
	return parseXML(br)
}

// startsWithTag reports whether the first non-space byte is '<'.
func startsWithTag(br *bufio.Reader) bool {
	for i := 1; i <= 512; i++ {
		b, err := br.Peek(i)
		if err != nil || len(b) < i {
			return false
		}
		switch b[i-1] {
		case ' ', '\t', '\r', '\n', 0xef, 0xbb, 0xbf: // whitespace, a UTF-8 BOM
			continue
		case '<':
			return true
		}
		return false
	}
	return false
}

// limitReader fails with ErrTooLarge past n bytes (io.LimitReader would
// make a cut-off look like a clean end).
type limitReader struct {
	r io.Reader
	n int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, ErrTooLarge
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

func parseXML(r io.Reader) Result {
	var res Result
	d := xml.NewDecoder(r)
	d.Strict = false
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		if strings.EqualFold(label, "utf-8") || strings.EqualFold(label, "us-ascii") {
			return in, nil
		}
		return nil, fmt.Errorf("unsupported charset %q", label)
	}
	var (
		depth   int
		inItem  bool   // inside <url> or <sitemap>
		field   string // "loc", "lastmod" or ""
		cur     Entry
		text    strings.Builder
		itemTag string
	)
	for {
		tok, err := d.Token()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				res.Err = err
				if errors.Is(err, ErrTooLarge) {
					res.Truncated = true
				}
			}
			return res
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			name := strings.ToLower(t.Name.Local)
			switch {
			case depth == 1:
				switch name {
				case "urlset":
					res.Kind, itemTag = URLSet, "url"
				case "sitemapindex":
					res.Kind, itemTag = Index, "sitemap"
				default:
					return Result{Err: fmt.Errorf("root element <%s> is not urlset or sitemapindex", t.Name.Local)}
				}
			case depth == 2 && name == itemTag:
				inItem, cur = true, Entry{}
			case depth == 3 && inItem && (name == "loc" || name == "lastmod"):
				field = name
				text.Reset()
			}
		case xml.CharData:
			if field != "" && text.Len() <= MaxLocLen {
				text.Write(t)
			}
		case xml.EndElement:
			switch {
			case depth == 3 && field != "":
				v := strings.TrimSpace(text.String())
				if field == "loc" {
					cur.Loc = v
				} else {
					cur.Lastmod = v
				}
				field = ""
			case depth == 2 && inItem:
				inItem = false
				if !validLoc(cur.Loc) {
					res.Invalid++
				} else if len(res.Entries) >= MaxEntries {
					res.Truncated = true
					return res
				} else {
					res.Entries = append(res.Entries, cur)
				}
			}
			depth--
		}
	}
}

func parseText(r io.Reader) Result {
	res := Result{Kind: URLSet}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), MaxLocLen+2)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if !validLoc(line) {
			res.Invalid++
			continue
		}
		if len(res.Entries) >= MaxEntries {
			res.Truncated = true
			return res
		}
		res.Entries = append(res.Entries, Entry{Loc: line})
	}
	if err := sc.Err(); err != nil {
		res.Err = err
		res.Truncated = errors.Is(err, ErrTooLarge)
	}
	return res
}

func validLoc(s string) bool {
	if s == "" || len(s) > MaxLocLen {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
