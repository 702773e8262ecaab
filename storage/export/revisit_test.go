package export

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/storage"
)

// dupRecords: three URLs serving one 2 KB body, and one other page.
func dupRecords() []*storage.Record {
	at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	body := strings.Repeat("<p>same body everywhere</p>\n", 80)
	page := func(u, b string, i int) *storage.Record {
		return &storage.Record{URL: u, FinalURL: u, Method: "GET", Status: 200, Proto: "HTTP/1.1", ContentType: "text/html",
			Header: http.Header{"Content-Type": {"text/html"}}, RequestHeader: http.Header{"User-Agent": {"t"}},
			Body: []byte(b), FetchedAt: at.Add(time.Duration(i) * time.Second)}
	}
	return []*storage.Record{
		page("http://a.test/one", body, 0),
		page("http://a.test/two", body, 1),
		page("http://a.test/other", strings.Repeat("<p>different</p>", 40), 2),
		page("http://b.test/three", body, 3),
	}
}

// fillDedupStore writes recs through Store.Dedup, as the crawler does.
func fillDedupStore(t *testing.T, recs []*storage.Record) string {
	t.Helper()
	return writeStore(t, recs, true)
}

// TestRevisitExports: duplicates are WARC revisit records (identical
// payload digest) naming the first copy; JSONL still carries every body;
// a duplicate whose original is filtered out is written in full.
func TestRevisitExports(t *testing.T) {
	recs := dupRecords()
	store := fillDedupStore(t, recs)
	if recs[1].Revisit == nil || recs[3].Revisit == nil {
		t.Fatal("duplicates were not stored as references")
	}

	out := t.TempDir()
	sum := run(t, store, Options{Format: FormatWARC, Out: out})
	var types []string
	for _, rec := range readWARC(t, filepath.Join(out, sum.Files[0])) {
		types = append(types, rec.Header.Get("WARC-Type"))
		if rec.Header.Get("WARC-Type") == "revisit" {
			if rec.Header.Get("WARC-Refers-To-Target-URI") != recs[0].URL || rec.Header.Get("WARC-Profile") != storage.ProfileIdenticalPayload ||
				rec.Header.Get("WARC-Refers-To-Date") != recs[0].FetchedAt.Format(time.RFC3339Nano) {
				t.Errorf("revisit %s: %v", rec.Header.Get("WARC-Target-URI"), rec.Header)
			}
			if strings.Contains(string(rec.Block), "same body") {
				t.Errorf("revisit %s carries the payload", rec.Header.Get("WARC-Target-URI"))
			}
		}
	}
	if got := strings.Join(types, ","); got != "warcinfo,request,response,request,revisit,request,response,request,revisit" {
		t.Fatalf("record types %s", got)
	}
	if skip, _ := requireWARCIOSoft(); !skip {
		vs := verifyWARC(t, out, sum)
		if vs.Revisits[storage.ProfileIdenticalPayload] != 2 {
			t.Fatalf("warcio.js: %+v", vs)
		}
	}

	// The original filtered out: its duplicates become full responses.
	out2 := t.TempDir()
	sum = run(t, store, Options{Format: FormatWARC, Out: out2, Exclude: []*regexp.Regexp{regexp.MustCompile("/one$")}})
	for _, rec := range readWARC(t, filepath.Join(out2, sum.Files[0])) {
		if rec.Header.Get("WARC-Type") == "revisit" {
			t.Fatalf("revisit of an excluded record: %v", rec.Header)
		}
	}

	jsonl := filepath.Join(t.TempDir(), "p.jsonl")
	run(t, store, Options{Format: FormatJSONL, Out: jsonl})
	f, err := os.Open(jsonl)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	i := 0
	for ; sc.Scan(); i++ {
		var l jsonlLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		if l.Body == nil || *l.Body != string(recs[i].Body) {
			t.Errorf("jsonl %s: body differs, want %d bytes", l.URL, len(recs[i].Body))
		}
	}
	if i != len(recs) {
		t.Fatalf("%d lines", i)
	}
}
