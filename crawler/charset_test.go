package crawler

import (
	"io"
	"testing"
)

func TestHTMLReaderCharsets(t *testing.T) {
	cases := []struct {
		name, ct string
		body     []byte
		want     string
	}{
		{"utf-8 declared", "text/html; charset=utf-8", []byte("<a href=\"/é\">é</a>"), "<a href=\"/é\">é</a>"},
		{"undeclared valid utf-8", "text/html", []byte("<p>é</p>"), "<p>é</p>"},
		{"latin1 declared", "text/html; charset=iso-8859-1", []byte("<p>\xe9</p>"), "<p>é</p>"},
		{"windows-1252 via meta", "text/html", []byte("<meta charset=windows-1252><p>\x80</p>"), "<meta charset=windows-1252><p>€</p>"},
		{"undeclared invalid utf-8 → windows-1252", "text/html", []byte("<p>\xe9</p>"), "<p>é</p>"},
		{"shift_jis declared", "text/html; charset=shift_jis", []byte("<p>\x82\xa0</p>"), "<p>あ</p>"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := io.ReadAll(htmlReader(tc.body, tc.ct))
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Errorf("got %q, want %q", b, tc.want)
			}
		})
	}
}
