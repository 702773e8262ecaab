package links

import (
	"bytes"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
)

// DetermineEncoding is x/net/html/charset.DetermineEncoding (same
// results: FuzzDetermineEncoding) with its prescan for a <meta> charset
// run on the tag scanner (scan.go) instead of a Tokenizer of its own: for
// pages served without a charset parameter that prescan was ~4 % of a
// crawl's CPU (docs/BENCHMARKS.md, issue 15).
//
// fromMetaElement and metaEncoding's loop follow x/net/html/charset's
// prescan and so derive from it: Copyright 2013 The Go Authors, under the
// BSD-style license in golang.org/x/net's LICENSE file (the same terms as
// Go's), which a redistribution of trawl must carry.
func DetermineEncoding(content []byte, contentType string) (e encoding.Encoding, name string, certain bool) {
	content = content[:min(len(content), 1024)]
	if hasBOM(content) || strings.Contains(strings.ToLower(contentType), "charset") {
		return charset.DetermineEncoding(content, contentType) // decided before the prescan
	}
	if e, name := metaCharset(content); e != nil {
		return e, name, false
	}
	// No <meta> decides: DetermineEncoding's fallback (UTF-8 if valid,
	// else windows-1252), which it reaches for content without tags.
	return charset.DetermineEncoding(bytes.ReplaceAll(content, []byte("<"), []byte(" ")), "")
}

// hasBOM: content starts with a byte-order mark DetermineEncoding honours.
func hasBOM(content []byte) bool {
	return bytes.HasPrefix(content, []byte{0xfe, 0xff}) || bytes.HasPrefix(content, []byte{0xff, 0xfe}) ||
		bytes.HasPrefix(content, []byte{0xef, 0xbb, 0xbf})
}

// metaCharset is DetermineEncoding's prescan: the encoding the first
// <meta> in head that declares a usable one names, or nil.
func metaCharset(head []byte) (e encoding.Encoding, name string) {
	walkTokens(head, false, func(n *html.Node) bool {
		if n.Data != "meta" {
			return true
		}
		e, name = metaEncoding(n)
		return e == nil
	})
	return e, name
}

// metaEncoding is the prescan's reading of one <meta> (attributes in
// order, values lower-cased in ASCII).
func metaEncoding(n *html.Node) (encoding.Encoding, string) {
	const (
		dontKnow = iota
		doNeedPragma
		doNotNeedPragma
	)
	needPragma, gotPragma := dontKnow, false
	var e encoding.Encoding
	name := ""
	// The scanner, like the Tokenizer, keeps the first of a repeated
	// attribute name only: the prescan's own check for repeats is moot.
	for _, a := range n.Attr {
		val := asciiLower(a.Val)
		switch a.Key {
		case "http-equiv":
			gotPragma = gotPragma || val == "content-type"
		case "content":
			if e == nil {
				name = fromMetaElement(val)
				if name != "" {
					if e, name = charset.Lookup(name); e != nil {
						needPragma = doNeedPragma
					}
				}
			}
		case "charset":
			e, name = charset.Lookup(val)
			needPragma = doNotNeedPragma
		}
	}
	if needPragma == dontKnow || needPragma == doNeedPragma && !gotPragma {
		return nil, ""
	}
	if strings.HasPrefix(name, "utf-16") {
		return encoding.Nop, "utf-8"
	}
	return e, name
}

// asciiLower lower-cases A-Z only, as the prescan does.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// fromMetaElement is x/net/html/charset's: the charset named in a <meta
// content> value, or "".
func fromMetaElement(s string) string {
	for s != "" {
		csLoc := strings.Index(s, "charset")
		if csLoc == -1 {
			return ""
		}
		s = s[csLoc+len("charset"):]
		s = strings.TrimLeft(s, " \t\n\f\r")
		if !strings.HasPrefix(s, "=") {
			continue
		}
		s = s[1:]
		s = strings.TrimLeft(s, " \t\n\f\r")
		if s == "" {
			return ""
		}
		if q := s[0]; q == '"' || q == '\'' {
			s = s[1:]
			closeQuote := strings.IndexRune(s, rune(q))
			if closeQuote == -1 {
				return ""
			}
			return s[:closeQuote]
		}
		end := strings.IndexAny(s, "; \t\n\f\r")
		if end == -1 {
			end = len(s)
		}
		return s[:end]
	}
	return ""
}
