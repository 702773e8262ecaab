package links

import (
	"bytes"

	"golang.org/x/net/html"
)

// This file reads start tags out of a page the way x/net/html's Tokenizer
// does, over the page's bytes in memory. Its states are the Tokenizer's
// (golang.org/x/net v0.62.0 html/token.go: Next, readTag and friends,
// readRawOrRCDATA, readScript, readComment, readMarkupDeclaration), ported
// from a byte reader to an index into the page, because the Tokenizer was
// half of trawl's CPU per page on real documentation (pgdocs, issue 15): it
// copies the page into its own buffer a byte at a time, and allocates for
// every tag it sees (a lower-cased copy of each attribute name, NUL
// replacement copies of every name and value) whether or not the caller
// wants the tag. Here text is skipped with bytes.IndexByte, only the tags
// the caller asks for are materialised, and a tag whose bytes need the
// Tokenizer's rewriting (character references, carriage returns, NUL) is
// materialised by the Tokenizer itself from that tag's bytes alone: a
// start tag tokenizes the same on its own as in its document.
// FuzzScanMatchesTokenizer holds the two equal.
//
// Being a port, this file derives from x/net/html: Copyright 2010 The Go
// Authors, under the BSD-style license in golang.org/x/net's LICENSE file
// (the same terms as Go's), which a redistribution of trawl must carry.

// span is a half-open byte range of the page.
type span struct{ start, end int }

// tagScanner walks a page's start tags.
type tagScanner struct {
	buf    []byte
	pos    int  // next byte to read
	eof    bool // the Tokenizer's z.err: every later token is an ErrorToken
	rawTag string

	// The current start tag: its bytes from '<' through '>', name and
	// attributes (key and value spans, first of each name, non-empty keys).
	raw         span
	name        span
	attr        [][2]span
	attrNames   map[string]struct{} // the lower-cased names in attr, once it is long (hasAttr)
	selfClosing bool
	// text is the raw text read after the tag when the tag opens raw text
	// (script, style, ...), as the Tokenizer's next TextToken would hold it.
	text span
}

// readByte is the Tokenizer's readByte over the page in memory.
func (z *tagScanner) readByte() byte {
	if z.pos >= len(z.buf) {
		z.eof = true
		return 0
	}
	c := z.buf[z.pos]
	z.pos++
	return c
}

func isSpace(c byte) bool {
	switch c {
	case ' ', '\n', '\r', '\t', '\f':
		return true
	}
	return false
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func (z *tagScanner) skipWhiteSpace() {
	for z.pos < len(z.buf) && isSpace(z.buf[z.pos]) {
		z.pos++
	}
	if z.pos >= len(z.buf) {
		z.eof = true
	}
}

// next advances to the next start tag (or self-closing tag) and reports
// whether there is one. The raw text a raw-text tag opens is read too
// (z.text), as the Tokenizer's next call would read it.
func (z *tagScanner) next() bool {
	for !z.eof {
		if z.rawTag != "" {
			z.readRawText()
			continue
		}
		i := bytes.IndexByte(z.buf[z.pos:], '<')
		if i < 0 {
			z.pos = len(z.buf)
			z.eof = true
			return false
		}
		lt := z.pos + i
		z.pos = lt + 1
		c := z.readByte()
		if z.eof {
			return false
		}
		switch {
		case isLetter(c):
			if z.readStartTag(lt) {
				return true
			}
		case c == '/':
			c = z.readByte()
			if z.eof {
				return false
			}
			switch {
			case c == '>': // "</>": no token
			case isLetter(c):
				z.readTag(false)
			default:
				z.pos--
				z.readUntilCloseAngle()
			}
		case c == '!':
			z.readMarkupDeclaration()
		case c == '?':
			z.pos--
			z.readUntilCloseAngle()
		default:
			z.pos-- // reconsume: text
		}
	}
	return false
}

// readStartTag reads a start tag whose '<' is at lt and first name byte was
// just read; it reports false when the page ends inside the tag (the
// Tokenizer returns an ErrorToken, not the tag).
func (z *tagScanner) readStartTag(lt int) bool {
	z.readTag(true)
	if z.eof {
		return false
	}
	z.raw = span{lt, z.pos}
	z.text = span{z.pos, z.pos}
	name := z.buf[z.name.start:z.name.end]
	switch {
	case nameIs(name, "iframe"), nameIs(name, "noembed"), nameIs(name, "noframes"), nameIs(name, "noscript"),
		nameIs(name, "plaintext"), nameIs(name, "script"), nameIs(name, "style"),
		nameIs(name, "textarea"), nameIs(name, "title"), nameIs(name, "xmp"):
		z.rawTag = string(lower(bytes.Clone(name)))
	}
	n := len(z.attr)
	z.selfClosing = z.buf[z.pos-2] == '/' && (n == 0 || z.pos-2 != z.attr[n-1][1].end-1)
	if z.rawTag != "" {
		z.readRawText()
	}
	return true
}

// nameIs reports whether name is s (lower case) in any ASCII case.
func nameIs(name []byte, s string) bool {
	if len(name) != len(s) {
		return false
	}
	for i := range len(s) {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// readRawText is the Tokenizer's raw-text step (Next with rawTag set):
// it sets z.text and clears rawTag.
func (z *tagScanner) readRawText() {
	start := z.pos
	switch z.rawTag {
	case "plaintext":
		z.pos = len(z.buf)
		z.eof = true
	case "script":
		z.readScript()
	default:
		for !z.eof {
			i := bytes.IndexByte(z.buf[z.pos:], '<')
			if i < 0 {
				z.pos = len(z.buf)
				z.eof = true
				break
			}
			z.pos += i + 1
			c := z.readByte()
			if z.eof {
				break
			}
			if c != '/' {
				z.pos--
				continue
			}
			if z.readRawEndTag() || z.eof {
				break
			}
		}
	}
	z.text = span{start, z.pos}
	z.rawTag = ""
}

// readRawEndTag: the Tokenizer's, after "</"; on success the position is
// back at the '<'.
func (z *tagScanner) readRawEndTag() bool {
	for i := 0; i < len(z.rawTag); i++ {
		c := z.readByte()
		if z.eof {
			return false
		}
		if c != z.rawTag[i] && c != z.rawTag[i]-('a'-'A') {
			z.pos--
			return false
		}
	}
	c := z.readByte()
	if z.eof {
		return false
	}
	switch c {
	case ' ', '\n', '\r', '\t', '\f', '/', '>':
		z.pos -= 3 + len(z.rawTag)
		return true
	}
	z.pos--
	return false
}

// readScript is the Tokenizer's readScript: script data up to its
// </script>, with the escaping rules for "<!--" and nested "<script".
func (z *tagScanner) readScript() {
	var c byte

scriptData:
	c = z.readByte()
	if z.eof {
		return
	}
	if c == '<' {
		goto scriptDataLessThanSign
	}
	goto scriptData

scriptDataLessThanSign:
	c = z.readByte()
	if z.eof {
		return
	}
	switch c {
	case '/':
		goto scriptDataEndTagOpen
	case '!':
		goto scriptDataEscapeStart
	}
	z.pos--
	goto scriptData

scriptDataEndTagOpen:
	if z.readRawEndTag() || z.eof {
		return
	}
	goto scriptData

scriptDataEscapeStart:
	c = z.readByte()
	if z.eof {
		return
	}
	if c == '-' {
		goto scriptDataEscapeStartDash
	}
	z.pos--
	goto scriptData

scriptDataEscapeStartDash:
	c = z.readByte()
	if z.eof {
		return
	}
	if c == '-' {
		goto scriptDataEscapedDashDash
	}
	z.pos--
	goto scriptData

scriptDataEscaped:
	c = z.readByte()
	if z.eof {
		return
	}
	switch c {
	case '-':
		goto scriptDataEscapedDash
	case '<':
		goto scriptDataEscapedLessThanSign
	}
	goto scriptDataEscaped

scriptDataEscapedDash:
	c = z.readByte()
	if z.eof {
		return
	}
	switch c {
	case '-':
		goto scriptDataEscapedDashDash
	case '<':
		goto scriptDataEscapedLessThanSign
	}
	goto scriptDataEscaped

scriptDataEscapedDashDash:
	c = z.readByte()
	if z.eof {
		return
	}
	switch c {
	case '-':
		goto scriptDataEscapedDashDash
	case '<':
		goto scriptDataEscapedLessThanSign
	case '>':
		goto scriptData
	}
	goto scriptDataEscaped

scriptDataEscapedLessThanSign:
	c = z.readByte()
	if z.eof {
		return
	}
	if c == '/' {
		goto scriptDataEscapedEndTagOpen
	}
	if isLetter(c) {
		goto scriptDataDoubleEscapeStart
	}
	z.pos--
	goto scriptData

scriptDataEscapedEndTagOpen:
	if z.readRawEndTag() || z.eof {
		return
	}
	goto scriptDataEscaped

scriptDataDoubleEscapeStart:
	z.pos--
	for i := 0; i < len("script"); i++ {
		c = z.readByte()
		if z.eof {
			return
		}
		if c != "script"[i] && c != "SCRIPT"[i] {
			z.pos--
			goto scriptDataEscaped
		}
	}
	c = z.readByte()
	if z.eof {
		return
	}
	switch c {
	case ' ', '\n', '\r', '\t', '\f', '/', '>':
		goto scriptDataDoubleEscaped
	}
	z.pos--
	goto scriptDataEscaped

scriptDataDoubleEscaped:
	c = z.readByte()
	if z.eof {
		return
	}
	switch c {
	case '-':
		goto scriptDataDoubleEscapedDash
	case '<':
		goto scriptDataDoubleEscapedLessThanSign
	}
	goto scriptDataDoubleEscaped

scriptDataDoubleEscapedDash:
	c = z.readByte()
	if z.eof {
		return
	}
	switch c {
	case '-':
		goto scriptDataDoubleEscapedDashDash
	case '<':
		goto scriptDataDoubleEscapedLessThanSign
	}
	goto scriptDataDoubleEscaped

scriptDataDoubleEscapedDashDash:
	c = z.readByte()
	if z.eof {
		return
	}
	switch c {
	case '-':
		goto scriptDataDoubleEscapedDashDash
	case '<':
		goto scriptDataDoubleEscapedLessThanSign
	case '>':
		goto scriptData
	}
	goto scriptDataDoubleEscaped

scriptDataDoubleEscapedLessThanSign:
	c = z.readByte()
	if z.eof {
		return
	}
	if c == '/' {
		goto scriptDataDoubleEscapeEnd
	}
	z.pos--
	goto scriptDataDoubleEscaped

scriptDataDoubleEscapeEnd:
	if z.readRawEndTag() {
		z.pos += len("</script>")
		goto scriptDataEscaped
	}
	if z.eof {
		return
	}
	goto scriptDataDoubleEscaped
}

// readComment: the Tokenizer's, after "<!--" (only where it ends matters).
func (z *tagScanner) readComment() {
	dashCount := 0
	beginning := true
	for {
		c := z.readByte()
		if z.eof {
			return
		}
		switch c {
		case '-':
			dashCount++
			continue
		case '>':
			if dashCount >= 2 || beginning {
				return
			}
		case '!':
			if dashCount >= 2 {
				c = z.readByte()
				if z.eof {
					return
				} else if c == '>' {
					return
				} else if c == '-' {
					dashCount = 1
					beginning = false
					continue
				}
			}
		}
		dashCount = 0
		beginning = false
	}
}

// readUntilCloseAngle reads through the next '>'.
func (z *tagScanner) readUntilCloseAngle() {
	i := bytes.IndexByte(z.buf[z.pos:], '>')
	if i < 0 {
		z.pos = len(z.buf)
		z.eof = true
		return
	}
	z.pos += i + 1
}

// readMarkupDeclaration, after "<!": a comment, or (a doctype or a bogus
// comment, which both end at the next '>': CDATA is off, as in the
// Tokenizer by default).
func (z *tagScanner) readMarkupDeclaration() {
	var c [2]byte
	for i := range 2 {
		c[i] = z.readByte()
		if z.eof {
			return
		}
	}
	if c[0] == '-' && c[1] == '-' {
		z.readComment()
		return
	}
	z.pos -= 2
	z.readUntilCloseAngle()
}

// readTag is the Tokenizer's: the name (whose first byte was read) and
// the attributes up to and including '>'. With save, attributes with a
// non-empty key not seen before on the tag are kept in z.attr.
func (z *tagScanner) readTag(save bool) {
	z.attr = z.attr[:0]
	clear(z.attrNames)
	z.readTagName()
	if z.skipWhiteSpace(); z.eof {
		return
	}
	for {
		c := z.readByte()
		if z.eof || c == '>' {
			break
		}
		z.pos--
		key := z.readTagAttrKey()
		val := z.readTagAttrVal()
		if save && key.start != key.end && !z.hasAttr(key) {
			z.attr = append(z.attr, [2]span{key, val})
		}
		if z.skipWhiteSpace(); z.eof {
			break
		}
	}
}

// hasAttr reports whether the tag already has an attribute named key,
// compared as the Tokenizer does (ASCII lower case). A short list is
// scanned; past attrScanMax names a set of them is kept, so a hostile tag
// with a million attributes costs linear time, as in the Tokenizer (which
// always keeps one), not quadratic.
func (z *tagScanner) hasAttr(key span) bool {
	k := z.buf[key.start:key.end]
	if len(z.attr) < attrScanMax {
		for _, a := range z.attr {
			if asciiEqualFold(z.buf[a[0].start:a[0].end], k) {
				return true
			}
		}
		return false
	}
	if z.attrNames == nil {
		z.attrNames = make(map[string]struct{})
	}
	if len(z.attrNames) == 0 {
		for _, a := range z.attr {
			z.attrNames[lowerString(z.buf[a[0].start:a[0].end])] = struct{}{}
		}
	}
	name := lowerString(k)
	if _, ok := z.attrNames[name]; ok {
		return true
	}
	z.attrNames[name] = struct{}{} // the caller keeps it
	return false
}

// attrScanMax is the attribute count up to which hasAttr scans the list.
const attrScanMax = 16

func asciiEqualFold(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func (z *tagScanner) readTagName() {
	z.name.start = z.pos - 1
	for {
		c := z.readByte()
		if z.eof {
			z.name.end = z.pos
			return
		}
		switch c {
		case ' ', '\n', '\r', '\t', '\f':
			z.name.end = z.pos - 1
			return
		case '/', '>':
			z.pos--
			z.name.end = z.pos
			return
		}
	}
}

func (z *tagScanner) readTagAttrKey() (k span) {
	k.start = z.pos
	for {
		c := z.readByte()
		if z.eof {
			k.end = z.pos
			return k
		}
		switch c {
		case '=':
			if k.start+1 == z.pos {
				continue // an '=' before the name begins is part of it
			}
			fallthrough
		case ' ', '\n', '\r', '\t', '\f', '/', '>':
			z.pos--
			k.end = z.pos
			return k
		}
	}
}

func (z *tagScanner) readTagAttrVal() (v span) {
	v = span{z.pos, z.pos}
	if z.skipWhiteSpace(); z.eof {
		return v
	}
	c := z.readByte()
	if z.eof {
		return v
	}
	if c == '/' {
		return v
	}
	if c != '=' {
		z.pos--
		return v
	}
	if z.skipWhiteSpace(); z.eof {
		return v
	}
	quote := z.readByte()
	if z.eof {
		return v
	}
	switch quote {
	case '>':
		z.pos--
		return v
	case '\'', '"':
		v.start = z.pos
		i := bytes.IndexByte(z.buf[z.pos:], quote)
		if i < 0 {
			z.pos = len(z.buf)
			z.eof = true
			v.end = z.pos
			return v
		}
		v.end = z.pos + i
		z.pos += i + 1
		return v
	default:
		v.start = z.pos - 1
		for {
			c := z.readByte()
			if z.eof {
				v.end = z.pos
				return v
			}
			switch c {
			case ' ', '\n', '\r', '\t', '\f':
				v.end = z.pos - 1
				return v
			case '>':
				z.pos--
				v.end = z.pos
				return v
			}
		}
	}
}

// nameIsLinkTag reports whether the current tag is one Extract reads
// without requisites (linkTag), before any materialising.
func (z *tagScanner) nameIsLinkTag() bool {
	name := z.buf[z.name.start:z.name.end]
	switch len(name) {
	case 1:
		return nameIs(name, "a")
	case 4:
		return nameIs(name, "area") || nameIs(name, "link") || nameIs(name, "meta") || nameIs(name, "base")
	case 5:
		return nameIs(name, "frame")
	case 6:
		return nameIs(name, "iframe")
	}
	return false
}

// node materialises the current tag as walkTokens hands it on: lower-case
// name and keys, values as the Tokenizer's TagAttr gives them, and for a
// <style> start tag its text as the one child.
func (z *tagScanner) node() *html.Node {
	raw := z.buf[z.raw.start:z.raw.end]
	var n *html.Node
	if bytes.IndexByte(raw, '&') >= 0 || bytes.IndexByte(raw, '\r') >= 0 || bytes.IndexByte(raw, 0) >= 0 {
		n = tokenizeTag(raw)
	} else {
		n = &html.Node{Type: html.ElementNode, Data: lowerString(z.buf[z.name.start:z.name.end])}
		if len(z.attr) > 0 {
			n.Attr = make([]html.Attribute, len(z.attr))
			for i, a := range z.attr {
				n.Attr[i] = html.Attribute{Key: lowerString(z.buf[a[0].start:a[0].end]), Val: string(z.buf[a[1].start:a[1].end])}
			}
		}
	}
	if n.Data == "style" && !z.selfClosing && z.text.end > z.text.start {
		t := convertNewlines(bytes.Clone(z.buf[z.text.start:z.text.end]))
		t = bytes.ReplaceAll(t, []byte{0}, []byte("\ufffd"))
		n.FirstChild = &html.Node{Type: html.TextNode, Data: string(t), Parent: n}
	}
	return n
}

// tokenizeTag is node for a tag whose bytes need the Tokenizer's
// rewriting (character references, "\r", NUL): the Tokenizer reads it.
func tokenizeTag(raw []byte) *html.Node {
	t := html.NewTokenizer(bytes.NewReader(raw))
	t.Next()
	name, more := t.TagName()
	n := &html.Node{Type: html.ElementNode, Data: string(name)}
	for more {
		var k, v []byte
		k, v, more = t.TagAttr()
		n.Attr = append(n.Attr, html.Attribute{Key: string(k), Val: string(v)})
	}
	return n
}

// lowerString is string(b) with ASCII upper case lowered, as the
// Tokenizer's lower (b is not changed: it is the page).
func lowerString(b []byte) string {
	for _, c := range b {
		if 'A' <= c && c <= 'Z' {
			return string(lower(bytes.Clone(b)))
		}
	}
	return string(b)
}

func lower(b []byte) []byte {
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return b
}

// convertNewlines converts "\r" and "\r\n" in s to "\n", in place.
func convertNewlines(s []byte) []byte {
	if bytes.IndexByte(s, '\r') < 0 {
		return s
	}
	s = bytes.ReplaceAll(s, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(s, []byte("\r"), []byte("\n"))
}
