package links

import (
	"errors"
	"testing"
)

func TestCanonical(t *testing.T) {
	const base = "http://example.com/a/b/c?q=1#frag"
	tests := []struct {
		name, ref, base, want string
		err                   error
	}{
		{"absolute", "http://example.com/x", "", "http://example.com/x", nil},
		{"relative file", "d", base, "http://example.com/a/b/d", nil},
		{"relative dir", "d/", base, "http://example.com/a/b/d/", nil},
		{"dot", "./d", base, "http://example.com/a/b/d", nil},
		{"dotdot", "../d", base, "http://example.com/a/d", nil},
		{"dotdot beyond root", "../../../../d", base, "http://example.com/d", nil},
		{"encoded dotdot", "%2e%2e/d", base, "http://example.com/a/d", nil},
		{"mixed encoded dotdot", ".%2E/d", base, "http://example.com/a/d", nil},
		{"absolute path", "/d?x=1", base, "http://example.com/d?x=1", nil},
		{"query only", "?z=2", base, "http://example.com/a/b/c?z=2", nil},
		{"fragment only", "#other", base, "http://example.com/a/b/c?q=1", nil},
		{"empty ref", "", base, "http://example.com/a/b/c?q=1", nil},
		{"scheme-relative", "//other.org/p", "https://example.com/", "https://other.org/p", nil},
		{"default http port", "http://example.com:80/", "", "http://example.com/", nil},
		{"default https port", "https://example.com:443/x", "", "https://example.com/x", nil},
		{"non-default port kept", "https://example.com:80/x", "", "https://example.com:80/x", nil},
		{"uppercase scheme and host", "HTTP://EXAMPLE.COM/Path", "", "http://example.com/Path", nil},
		{"IDNA", "http://Bücher.example/", "", "http://xn--bcher-kva.example/", nil},
		{"IDNA full stop variant", "http://example\u3002com/", "", "http://example.com/", nil},
		{"empty path", "http://example.com", "", "http://example.com/", nil},
		{"empty query dropped", "http://example.com/?", "", "http://example.com/", nil},
		{"fragment dropped", "http://example.com/p#x", "", "http://example.com/p", nil},
		{"userinfo dropped", "http://user:pw@example.com/p", "", "http://example.com/p", nil},
		{"unreserved decoded", "http://example.com/%7Euser/%41%2d", "", "http://example.com/~user/A-", nil},
		{"hex upper-cased", "http://example.com/a%2fb?x=%3a", "", "http://example.com/a%2Fb?x=%3A", nil},
		{"stray percent", "http://example.com/100%", "", "http://example.com/100%25", nil},
		{"space encoded", "http://example.com/a b", "", "http://example.com/a%20b", nil},
		{"utf8 path encoded", "http://example.com/ü", "", "http://example.com/%C3%BC", nil},
		{"tracking stripped", "http://example.com/?utm_source=a&id=3&UTM_Medium=b", "", "http://example.com/?id=3", nil},
		{"all tracking", "http://example.com/p?fbclid=1&gclid=2&dclid=3&msclkid=4&mc_cid=5&mc_eid=6&_ga=7&yclid=8&igshid=9", "", "http://example.com/p", nil},
		{"tracking-like kept", "http://example.com/?utmost=1&gclidx=2", "", "http://example.com/?utmost=1&gclidx=2", nil},
		{"query order kept", "http://example.com/?b=2&a=1&b=1", "", "http://example.com/?b=2&a=1&b=1", nil},
		{"ipv6", "http://[2001:DB8::1]:8080/x", "", "http://[2001:db8::1]:8080/x", nil},
		{"ipv6 default port", "https://[::1]:443/", "", "https://[::1]/", nil},
		{"ipv4 numeric forms", "http://0x7f.1/", "", "http://127.0.0.1/", nil},
		{"tabs and newlines stripped", "http://exa\tmple.com/a\n/b\r", "", "http://example.com/a/b", nil},
		{"backslashes", "\\\\other.org\\p\\q", "http://example.com/", "http://other.org/p/q", nil},
		{"leading/trailing spaces", "  /p  ", base, "http://example.com/p", nil},
		{"https kept", "https://example.com/", "", "https://example.com/", nil},
		{"base with tracking", "?", "http://example.com/p?utm_source=x", "http://example.com/p", nil},
		{"javascript", "javascript:alert(1)", base, "", ErrScheme},
		{"mailto", "mailto:a@example.com", base, "", ErrScheme},
		{"data", "data:text/html,hi", base, "", ErrScheme},
		{"tel", "tel:+123", base, "", ErrScheme},
		{"ftp", "ftp://example.com/", "", "", ErrScheme},
		{"relative without base", "/p", "", "", ErrInvalid},
		{"bad port", "http://example.com:99999/", "", "", ErrInvalid},
		{"no host", "http:///", "", "", ErrInvalid},
		{"forbidden host char", "http://exa mple.com/", "", "", ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Canonical(tt.ref, tt.base)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Canonical(%q, %q) = %q, %v; want error %v", tt.ref, tt.base, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Canonical(%q, %q) = %q, %v; want %q", tt.ref, tt.base, got, err, tt.want)
			}
			if again, err := Canonical(got, ""); err != nil || again != got {
				t.Errorf("not idempotent: %q → %q, %v", got, again, err)
			}
		})
	}
}

func TestHostKeyOrigin(t *testing.T) {
	tests := []struct{ in, key, origin string }{
		{"http://example.com/p", "example.com", "http://example.com"},
		{"https://example.com/p?q", "example.com", "https://example.com"},
		{"https://example.com:8443/", "example.com:8443", "https://example.com:8443"},
		{"http://[::1]:8080/", "[::1]:8080", "http://[::1]:8080"},
		{"HTTP://Example.COM:80/x", "example.com", "http://example.com"},
		{"https://u:p@example.com:443/x", "example.com", "https://example.com"},
		{"not a url", "", ""},
	}
	for _, tt := range tests {
		if got := HostKey(tt.in); got != tt.key {
			t.Errorf("HostKey(%q) = %q, want %q", tt.in, got, tt.key)
		}
		if got := Origin(tt.in); got != tt.origin {
			t.Errorf("Origin(%q) = %q, want %q", tt.in, got, tt.origin)
		}
	}
}

func TestDomain(t *testing.T) {
	tests := []struct{ in, want string }{
		{"www.example.com", "example.com"},
		{"a.b.example.co.uk", "example.co.uk"},
		{"Example.COM", "example.com"},
		{"h1.site.test", "site.test"},
		{"site.test", "site.test"},
		{"localhost", "localhost"},
		{"127.0.0.1", "127.0.0.1"},
		{"[::1]", "[::1]"},
		{"co.uk", "co.uk"},
		{"foo.blogspot.com", "foo.blogspot.com"},
		{"www.example.com:8080", "example.com"},
		{"www.example.com.", "example.com"},
	}
	for _, tt := range tests {
		if got := Domain(tt.in); got != tt.want {
			t.Errorf("Domain(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
