package export

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/storage"
)

// dupRecords: three URLs serving one 2 KB body, and one other page.
func dupRecords() []*storage.Record {
	body := strings.Repeat("<p>same body everywhere</p>\n", 80)
	return []*storage.Record{
		htmlPage("http://a.test/one", body, 0),
		htmlPage("http://a.test/two", body, 1),
		htmlPage("http://a.test/other", strings.Repeat("<p>different</p>", 40), 2),
		htmlPage("http://b.test/three", body, 3),
	}
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
	lines := readJSONL(t, jsonl)
	if len(lines) != len(recs) {
		t.Fatalf("%d lines", len(lines))
	}
	for i, l := range lines {
		if l.Body == nil || *l.Body != string(recs[i].Body) {
			t.Errorf("jsonl %s: body differs, want %d bytes", l.URL, len(recs[i].Body))
		}
	}
}
