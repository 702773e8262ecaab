package frontier

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
)

// TestStartPassRequeuesFinalURLs: after a crawl where URLs ended done,
// failed and skipped (one still queued), StartPass queues every final one
// again with attempt 0 and the Tag its completion set; counters, host
// queues and Recount agree; a second call is a no-op; a wrong pass number
// is refused; a URL already seen is not added again in the new pass.
func TestStartPassRequeuesFinalURLs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "frontier.db")
	f := open(t, path, Options{PerHost: 8})
	var items []Item
	for i := range 5 {
		items = append(items, Item{URL: fmt.Sprintf("http://a.test/%d", i), Host: "a.test", Tag: "first"})
	}
	add(t, f, items...)
	outcomes := []Outcome{Done, Done, Failed, Skipped}
	for i, o := range outcomes {
		l := next(t, f, t0)
		complete(t, f, Completion{Lease: l, Outcome: o, Status: 200, Bytes: 10, Tag: fmt.Sprintf("etag-%d", i)})
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := StartPass(path, 2); !errors.Is(err, ErrPassMismatch) {
		t.Fatalf("StartPass(2) on pass 0: %v, want ErrPassMismatch", err)
	}
	n, err := StartPass(path, 1)
	if err != nil || n != 4 {
		t.Fatalf("StartPass = %d, %v; want 4 requeued", n, err)
	}
	if n, err := StartPass(path, 1); err != nil || n != 0 {
		t.Fatalf("second StartPass = %d, %v; want a no-op", n, err)
	}
	f = open(t, path, Options{PerHost: 8})
	defer f.Close()
	checkCounts(t, f, Stats{Queued: 5, Hosts: 1})
	if v, _ := f.Meta(MetaPass); string(v) != "1" {
		t.Fatalf("pass meta %q", v)
	}
	tags := map[string]string{}
	for range 5 {
		l := next(t, f, t0)
		if l.Attempt != 0 {
			t.Errorf("%s: attempt %d after a new pass", l.URL, l.Attempt)
		}
		tags[l.URL] = l.Tag
	}
	for i := range 4 {
		if got := tags[fmt.Sprintf("http://a.test/%d", i)]; got != fmt.Sprintf("etag-%d", i) {
			t.Errorf("url %d: tag %q", i, got)
		}
	}
	if got := tags["http://a.test/4"]; got != "first" {
		t.Errorf("queued url: tag %q, want the Item's", got)
	}
	if n := add(t, f, Item{URL: "http://a.test/0", Host: "a.test"}, Item{URL: "http://a.test/new", Host: "a.test"}); n != 1 {
		t.Fatalf("Add in the new pass: %d new, want 1", n)
	}
}
