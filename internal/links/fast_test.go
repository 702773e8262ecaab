package links

import "testing"

var fastBases = []string{
	"http://h0.site.test/",
	"http://h0.site.test/p/7",
	"https://example.com/a/b/c.html?x=1",
	"http://example.com:8080/dir/",
	"http://user@example.com/a/",
	"http://example.com/%7Efoo/",
	"http://192.168.0.1/a/",
}

func TestFastResolveAgreesWithCanonical(t *testing.T) {
	refs := []string{
		"/p/7", "56", "p/8?a=b", "http://h1.site.test/p/2", "https://h1.site.test", "http://h1.site.test?x=1",
		"/a?utm_source=x&b=2", "/a?utm_source=x", "../x", "./x", "/a/./b", "//h2.site.test/x", "?q=1", "#frag",
		"/p/1#frag", "http://H1.site.test/", "http://h1.site.test:80/", "http://1.2.3/", "http://xn--bcher-kva.example/",
		"mailto:a@b", "javascript:void(0)", "/a b", "/a%20b", "/a\\b", "", "/p/~user/", "a/b/c", "/?", "/a?",
		"http://a.test/x?y=1&fbclid=2", "http://a..test/", "http://a.test./", "http://a.test.com.", "http://example.c0m/",
		"../../../x", "..", ".", "a/..", "a/.", "/a/b/../../..", "/a/.b/..c/", "/./.", "x/../../y?z=1", "http://a.test/a/../b",
		"/a/b/..?q", "..//x", "/a//../b",
	}
	for _, base := range fastBases {
		fb := newFastBase(base)
		for _, ref := range refs {
			got, ok := fastResolve(fb, ref)
			if !ok {
				continue
			}
			want, err := Canonical(ref, base)
			if err != nil || got != want {
				t.Errorf("fastResolve(%q, %q) = %q; Canonical = %q, %v", base, ref, got, want, err)
			}
		}
	}
	// The plain cases must actually take the fast path.
	fb := newFastBase("http://h0.site.test/p/7")
	for _, ref := range []string{"/p/7", "56", "http://h1.site.test/p/2", "p/8?a=b", "../section/3/item.html?id=3"} {
		if _, ok := fastResolve(fb, ref); !ok {
			t.Errorf("%q did not take the fast path", ref)
		}
	}
}

func FuzzFastResolve(f *testing.F) {
	for i := range fastBases {
		f.Add(uint8(i), "/p/7")
		f.Add(uint8(i), "http://h1.site.test/x?y=1")
		f.Add(uint8(i), "a/b?utm_medium=z&k=v")
	}
	f.Fuzz(func(t *testing.T, bi uint8, ref string) {
		base := fastBases[int(bi)%len(fastBases)]
		got, ok := fastResolve(newFastBase(base), ref)
		if !ok {
			return
		}
		want, err := Canonical(ref, base)
		if err != nil || got != want {
			t.Fatalf("fastResolve(%q, %q) = %q; Canonical = %q, %v", base, ref, got, want, err)
		}
	})
}
