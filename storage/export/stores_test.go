package export

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/trawl-crawler/trawl/storage"
)

// twoWorkerStores are the page stores of two workers of one crawl: each
// holds its own pages, a.test/shared is in both (fetched again by the
// second worker, later), and in each store the first record is at the
// same position, so a revisit in B and a response in A share a Ref.
func twoWorkerStores(t *testing.T) (a, b string) {
	big := strings.Repeat("<p>a body stored once per store</p>\n", 60)
	a = fillDedupStore(t, []*storage.Record{
		htmlPage("http://a.test/", `<a href="http://b.test/x">x</a> <a href="/shared">shared</a>`+big, 0),
		htmlPage("http://a.test/shared", "old shared", 1),
	})
	b = fillDedupStore(t, []*storage.Record{
		htmlPage("http://b.test/x", big, 2),
		htmlPage("http://b.test/y", big, 3), // a revisit of b.test/x
		htmlPage("http://a.test/shared", "new shared", 4),
		htmlPage("http://b.test/", `<a href="http://a.test/">a</a>`, 5),
	})
	return a, b
}

// TestRunStoresWritesEachURLOnce: the stores of two workers export as one,
// each URL once; a URL both hold is written as its latest fetch whatever
// the order of the stores, the other counted as a duplicate fetch.
func TestRunStoresWritesEachURLOnce(t *testing.T) {
	a, b := twoWorkerStores(t)
	for _, order := range [][]string{{a, b}, {b, a}} {
		out := filepath.Join(t.TempDir(), "p.jsonl")
		sum := runStores(t, Options{Format: FormatJSONL, Out: out}, order...)
		lines := readJSONL(t, out)
		got := map[string]string{}
		for _, l := range lines {
			if _, dup := got[l.URL]; dup {
				t.Errorf("%s written twice", l.URL)
			}
			got[l.URL] = *l.Body
		}
		if len(got) != 5 || got["http://a.test/shared"] != "new shared" || !strings.Contains(got["http://b.test/y"], "stored once") {
			t.Errorf("export of %d URLs, a.test/shared = %q", len(got), got["http://a.test/shared"])
		}
		if sum.Records != 6 || sum.Written != 5 || sum.Skipped[skipDuplicate] != 1 {
			t.Errorf("summary %+v", sum)
		}
	}
	// One pass of several stores: once too.
	pass := 0
	out := filepath.Join(t.TempDir(), "p0.jsonl")
	if sum := runStores(t, Options{Format: FormatJSONL, Out: out, Pass: &pass}, a, b); sum.Written != 5 || sum.Skipped[skipDuplicate] != 1 {
		t.Errorf("--pass 0: %+v", sum)
	}
}

// TestRunStoresWARCRevisitsStayInTheirStore: a revisit refers to a
// response of its own store; with that response filtered out it is
// written in full, even though the other store's response at the same
// position was written.
func TestRunStoresWARCRevisitsStayInTheirStore(t *testing.T) {
	a, b := twoWorkerStores(t)
	responses := func(out string, sum Summary) map[string]string {
		types := map[string]string{}
		for _, f := range sum.Files {
			for _, rec := range readWARC(t, filepath.Join(out, f)) {
				typ, uri := rec.Header.Get("WARC-Type"), rec.Header.Get("WARC-Target-URI")
				if typ != "response" && typ != "revisit" {
					continue
				}
				if _, dup := types[uri]; dup {
					t.Errorf("%s archived twice", uri)
				}
				types[uri] = typ
			}
		}
		return types
	}
	out := t.TempDir()
	sum := runStores(t, Options{Format: FormatWARC, Out: out}, a, b)
	got := responses(out, sum)
	if len(got) != 5 || got["http://b.test/y"] != "revisit" || got["http://b.test/x"] != "response" {
		t.Errorf("WARC of both stores: %v", got)
	}
	if skip, _ := requireWARCIOSoft(); !skip {
		// warcio.js finds the revisit's original and checks its digest.
		if vs := verifyWARC(t, out, sum); vs.Revisits[storage.ProfileIdenticalPayload] != 1 || vs.ByType["response"] != 4 {
			t.Errorf("warcio.js: %+v", vs)
		}
	}
	out = t.TempDir()
	sum = runStores(t, Options{Format: FormatWARC, Out: out, Exclude: []*regexp.Regexp{regexp.MustCompile(`b\.test/x$`)}}, a, b)
	got = responses(out, sum)
	if got["http://b.test/y"] != "response" || got["http://b.test/x"] != "" {
		t.Errorf("WARC without b.test/x: %v (b.test/y must be a full response: its original is not in the export)", got)
	}
	if skip, _ := requireWARCIOSoft(); !skip {
		verifyWARC(t, out, sum) // a revisit whose original is missing fails here
	}
}

// TestRunStoresMirrorLinksAcrossStores: --rewrite-links makes a link from
// a page of one store to a page of the other relative.
func TestRunStoresMirrorLinksAcrossStores(t *testing.T) {
	a, b := twoWorkerStores(t)
	out := t.TempDir()
	runStores(t, Options{Format: FormatDir, Out: out, RewriteLinks: true}, a, b)
	for file, want := range map[string]string{"a.test/index.html": `href="../b.test/x.html"`, "b.test/index.html": `href="../a.test/index.html"`} {
		body, err := os.ReadFile(filepath.Join(out, file))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(body), want) {
			t.Errorf("%s: no %s in %.200s", file, want, body)
		}
	}
	shared, err := os.ReadFile(filepath.Join(out, "a.test/shared.html"))
	if err != nil || string(shared) != "new shared" {
		t.Errorf("a.test/shared.html = %q, %v; want the latest fetch", shared, err)
	}
}
