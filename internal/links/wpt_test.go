package links

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
)

type wptCase struct {
	Input   string  `json:"input"`
	Base    *string `json:"base"`
	Href    string  `json:"href"`
	Failure bool    `json:"failure"`
}

// TestWPTResolution checks that Canonical resolves like WHATWG: for each
// case, Canonical(input, base) must equal our normalisation of WPT's href
// (Canonical(href, "")), fail when WPT fails, and report ErrScheme when the
// href is not http(s).
func TestWPTResolution(t *testing.T) {
	raw, err := os.ReadFile("testdata/urltestdata.json")
	if err != nil {
		t.Fatal(err)
	}
	var entries []json.RawMessage
	if err := json.Unmarshal(raw, &entries); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		var c wptCase
		if json.Unmarshal(e, &c) != nil {
			continue // comment strings
		}
		n++
		base := ""
		if c.Base != nil && *c.Base != "about:blank" {
			base = *c.Base
		}
		got, err := Canonical(c.Input, base)
		switch {
		case c.Failure:
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%q on %q: got %q, %v; WPT says failure", c.Input, base, got, err)
			}
		case !strings.HasPrefix(c.Href, "http://") && !strings.HasPrefix(c.Href, "https://"):
			if !errors.Is(err, ErrScheme) {
				t.Errorf("%q on %q: got %q, %v; want ErrScheme for %q", c.Input, base, got, err, c.Href)
			}
		default:
			want, werr := Canonical(c.Href, "")
			if werr != nil || err != nil || got != want {
				t.Errorf("%q on %q: got %q, %v; want %q (normalised from WPT %q, %v)", c.Input, base, got, err, want, c.Href, werr)
			}
		}
	}
	if n < 30 {
		t.Fatalf("only %d WPT cases", n)
	}
}
