package storage

import (
	"context"
	"testing"
)

// TestRobotsRecords: a record marked Robots keeps the mark through the
// codec; Scan leaves it out (the crawl's URLs only) and ScanAll yields it,
// in append order.
func TestRobotsRecords(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, nil, Options{})
	robots := testRecord(0, 10)
	robots.URL, robots.FinalURL, robots.Robots, robots.IP = "http://127.0.0.1/robots.txt", "http://127.0.0.1/robots.txt", true, "127.0.0.1"
	cps := appendRecs(t, s, robots, testRecord(1, 10))
	closeAt(t, s, cps[len(cps)-1])

	r, err := OpenReader(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []*Record
	r.Scan(context.Background(), func(rec *Record) error { got = append(got, rec); return nil })
	if len(got) != 1 || got[0].Robots || got[0].Seq != 2 {
		t.Fatalf("Scan: %d records; want only the page, Seq 2", len(got))
	}
	var all []*Record
	r.ScanAll(context.Background(), func(rec *Record) error { all = append(all, rec); return nil })
	if len(all) != 2 || !all[0].Robots || all[0].URL != robots.URL || all[0].IP != "127.0.0.1" || all[1].Robots {
		t.Fatalf("ScanAll: %+v", all)
	}
}
