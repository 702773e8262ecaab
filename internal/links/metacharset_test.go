package links

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/net/html/charset"
)

// FuzzDetermineEncoding: DetermineEncoding gives x/net/html/charset's
// answer (name and certainty) for any content and Content-Type.
func FuzzDetermineEncoding(f *testing.F) {
	for _, s := range []string{
		`<?xml version="1.0" encoding="UTF-8"?><html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8" /><title>x</title>`,
		"<meta charset=\"iso-8859-2\"><p>\xe9",
		`<META CONTENT="text/html; charset=koi8-r" HTTP-EQUIV="Content-Type">`,
		`<meta content="charset=utf-16le"><meta http-equiv=content-type>`,
		`<meta charset=bogus><meta charset=shift_jis>`,
		`<meta http-equiv="content-type" content='a; charset="euc-jp"' content="charset=big5">`,
		`<script><meta charset=latin1></script><meta charset=gbk>`,
		`<!-- <meta charset=latin1> --><meta charset=windows-1251 charset=x>`,
		"\xef\xbb\xbf<meta charset=latin2>",
		"plain text \xc3\xa9 no tags",
		"<p>caf\xe9</p>",
		`<meta charset="utf-8`,
		`<meta http-equiv="refresh" content="0; charset=koi8-r"><meta charset=latin1>`,
		`<meta charset=koi8-r CHARSET=latin1>`,
	} {
		f.Add([]byte(s), "")
		f.Add([]byte(s), "text/html")
		f.Add([]byte(s), "text/html; charset=iso-8859-1")
	}
	if head, err := os.ReadFile(filepath.Join("/usr/share/doc/postgresql-doc-15/html", "sql-select.html")); err == nil {
		f.Add(head[:min(len(head), 1024)], "text/html")
	}
	f.Fuzz(func(t *testing.T, content []byte, contentType string) {
		orig := bytes.Clone(content)
		_, want, wantCertain := charset.DetermineEncoding(orig, contentType)
		_, got, gotCertain := DetermineEncoding(content, contentType)
		if got != want || gotCertain != wantCertain {
			t.Fatalf("DetermineEncoding(%q, %q) = %q, %v; x/net says %q, %v", orig, contentType, got, gotCertain, want, wantCertain)
		}
		// The caller reads the same body afterwards (the parser's input).
		if !bytes.Equal(content, orig) {
			t.Fatalf("DetermineEncoding changed its input %q to %q", orig, content)
		}
	})
}
