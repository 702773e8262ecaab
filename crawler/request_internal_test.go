package crawler

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestParseHeaderRule(t *testing.T) {
	for _, c := range []struct {
		in, host, name, value, err string
	}{
		{in: "X-Key: v=1", name: "X-Key", value: "v=1"},
		{in: "x-key:v", name: "X-Key", value: "v"},
		{in: "api.example.com=Authorization: Bearer t", host: "api.example.com", name: "Authorization", value: "Bearer t"},
		{in: "127.0.0.1:8080=X-A: b", host: "127.0.0.1:8080", name: "X-A", value: "b"},
		{in: ".Example.com=X-A: b", host: ".example.com", name: "X-A", value: "b"},
		{in: "X-Foo:a=b", name: "X-Foo", value: "a=b"},
		{in: "no colon", err: "want"},
		{in: "Bad Name: v", err: "not a valid header name"},
		{in: "Host: x", err: "cannot be set"},
		{in: "User-Agent: x", err: "--user-agent"},
		{in: "X-A: a\nb", err: "control character"},
	} {
		r, err := parseHeaderRule(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: err %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || r.host != c.host || r.name != c.name || r.value != c.value {
			t.Errorf("%q: got %+v, %v", c.in, r, err)
		}
	}
	// An error never repeats a value.
	if _, err := parseHeaderRule("Authorization Bearer secret-token"); err == nil || strings.Contains(err.Error(), "secret-token") {
		t.Errorf("error %v shows the value", err)
	}
}

func TestParseNetrc(t *testing.T) {
	n, err := parseNetrc("netrc", strings.NewReader("# comment\nmachine A.example login a password pa\nmacdef init\ncd /\n\nmachine b.example\n  login b\n  password pb account x\nmachine a.example login dup password dup\ndefault login d password pd\n"))
	if err != nil {
		t.Fatal(err)
	}
	if n.machines["a.example"] != (netrcLogin{"a", "pa"}) || n.machines["b.example"] != (netrcLogin{"b", "pb"}) || n.def == nil || n.def.login != "d" {
		t.Fatalf("parsed %+v default %+v", n.machines, n.def)
	}
	if _, err := parseNetrc("f", strings.NewReader("login x password secret-pw")); err == nil || strings.Contains(err.Error(), "secret-pw") {
		t.Errorf("login before machine: %v", err)
	}
}

func TestCookieJarRules(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	j := newCookieJar()
	if err := j.load("c.txt", strings.NewReader(".example.com\tTRUE\t/\tFALSE\t0\twide\t1\n"+
		"www.example.com\tFALSE\t/docs\tTRUE\t0\tsecure\t2\n"+
		"example.com\tTRUE\t/\tFALSE\t1\texpired\t3\n"), now); err != nil {
		t.Fatal(err)
	}
	u := func(s string) *url.URL { p, _ := url.Parse(s); return p }
	set := func(from string, lines ...string) { j.setFromResponse(u(from), http.Header{"Set-Cookie": lines}, now) }
	set("http://www.example.com/a/b", "path=1", "co=1; Domain=co.uk", "other=1; Domain=other.com", "parent=1; Domain=example.com; Path=/")
	set("http://shop.example.co.uk/", "psl=1; Domain=co.uk")
	for _, c := range []struct{ url, want string }{
		{"http://www.example.com/", "wide=1; parent=1"},
		{"http://www.example.com/a/c", "path=1; wide=1; parent=1"},
		{"https://www.example.com/docs/x", "secure=2; wide=1; parent=1"},
		{"http://www.example.com/docs/x", "wide=1; parent=1"}, // Secure needs https
		{"http://docsx.example.com/", "wide=1; parent=1"},
		{"http://other.com/", ""},
		{"http://x.co.uk/", ""},
	} {
		if got := j.header(u(c.url), now); got != c.want {
			t.Errorf("%s: Cookie %q, want %q", c.url, got, c.want)
		}
	}
	if _, err := newCookieJar(), j.load("bad.txt", strings.NewReader("a\tb\n"), now); err == nil || !strings.Contains(err.Error(), "bad.txt:1") {
		t.Errorf("bad line: %v", err)
	}
	// Round trip through the saved form.
	b, _ := j.netscape()
	k := newCookieJar()
	if err := k.load("saved", strings.NewReader(string(b)), now); err != nil {
		t.Fatal(err)
	}
	if got := k.header(u("https://www.example.com/docs/x"), now); got != "secure=2; wide=1; parent=1" {
		t.Errorf("after a save and load: %q", got)
	}
}
