package warcverify

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"net/textproto"
	"os"
	"strconv"
)

// Record is one WARC record as Read found it.
type Record struct {
	Header textproto.MIMEHeader // the named fields (WARC-Type, WARC-Target-URI, ...)
	Block  []byte               // Content-Length bytes after the blank line
}

// Read parses a gzip-per-record WARC file with gzip's multistream reader and
// textproto, sharing no code with trawl's writer: each record must be the
// line "WARC/1.1", named fields, a blank line, Content-Length bytes of block
// and CRLF CRLF. It is the quick in-process check (no node needed); Verify
// is the independent one.
func Read(name string) ([]Record, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	br := bufio.NewReader(zr)
	var out []Record
	for {
		line, err := br.ReadString('\n')
		if err == io.EOF && line == "" {
			return out, nil
		}
		if line != "WARC/1.1\r\n" {
			return nil, fmt.Errorf("%s: record %d: version line %q (%v)", name, len(out), line, err)
		}
		hdr, err := textproto.NewReader(br).ReadMIMEHeader()
		if err != nil {
			return nil, fmt.Errorf("%s: record %d: named fields: %w", name, len(out), err)
		}
		n, err := strconv.Atoi(hdr.Get("Content-Length"))
		if err != nil {
			return nil, fmt.Errorf("%s: record %d: Content-Length %q", name, len(out), hdr.Get("Content-Length"))
		}
		block := make([]byte, n)
		if _, err := io.ReadFull(br, block); err != nil {
			return nil, fmt.Errorf("%s: record %d: block: %w", name, len(out), err)
		}
		var end [4]byte
		if _, err := io.ReadFull(br, end[:]); err != nil || string(end[:]) != "\r\n\r\n" {
			return nil, fmt.Errorf("%s: record %d: not terminated by CRLF CRLF: %q", name, len(out), end)
		}
		out = append(out, Record{hdr, block})
	}
}
