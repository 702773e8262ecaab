package export

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/storage"
)

// fetchedAt is the test crawls' first fetch time plus sec seconds.
func fetchedAt(sec int) time.Time {
	return time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC).Add(time.Duration(sec) * time.Second)
}

// htmlPage is a 200 text/html answer to a GET of u, fetched at fetchedAt(sec).
func htmlPage(u, body string, sec int) *storage.Record {
	return &storage.Record{URL: u, FinalURL: u, Method: "GET", Status: 200, Proto: "HTTP/1.1", ContentType: "text/html",
		Header: http.Header{"Content-Type": {"text/html"}}, RequestHeader: http.Header{"User-Agent": {"t"}},
		Body: []byte(body), FetchedAt: fetchedAt(sec)}
}

// fillStore writes recs to a new store and publishes them.
func fillStore(t testing.TB, recs []*storage.Record) string {
	t.Helper()
	return writeStore(t, recs, false)
}

// fillDedupStore writes recs through Store.Dedup, as the crawler does.
func fillDedupStore(t testing.TB, recs []*storage.Record) string {
	t.Helper()
	return writeStore(t, recs, true)
}

// writeStore writes recs to a new store and publishes them; with dedup each
// record first goes through Store.Dedup, as the crawler's are.
func writeStore(t testing.TB, recs []*storage.Record, dedup bool) string {
	t.Helper()
	dir := t.TempDir()
	s, err := storage.Open(dir, nil, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var cp []byte
	for _, r := range recs {
		if dedup {
			s.Dedup(r)
		}
		b, err := storage.Encode(r)
		if err != nil {
			t.Fatal(err)
		}
		if cp, err = s.Append(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := s.Publish(cp); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// openReaders opens a reader on the page store in each of dirs.
func openReaders(t testing.TB, dirs ...string) []*storage.Reader {
	t.Helper()
	var rs []*storage.Reader
	for _, d := range dirs {
		r, err := storage.OpenReader(d)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	return rs
}

// tryRun runs an export and returns its error instead of failing.
func tryRun(t testing.TB, storeDir string, o Options) (Summary, error) {
	t.Helper()
	return Run(context.Background(), openReaders(t, storeDir)[0], o)
}

// run runs an export and fails the test if it fails.
func run(t testing.TB, storeDir string, o Options) Summary {
	t.Helper()
	sum, err := tryRun(t, storeDir, o)
	if err != nil {
		t.Fatalf("Run(%s): %v", o.Format, err)
	}
	return sum
}

// runStores exports the stores in dirs as one (RunStores) and fails the
// test if it fails.
func runStores(t testing.TB, o Options, dirs ...string) Summary {
	t.Helper()
	sum, err := RunStores(context.Background(), openReaders(t, dirs...), o)
	if err != nil {
		t.Fatalf("RunStores(%s): %v", o.Format, err)
	}
	return sum
}

// readJSONL reads the lines of a JSONL export.
func readJSONL(t testing.TB, file string) []jsonlLine {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return decodeLines[jsonlLine](t, f)
}

// decodeLines decodes each line of r, a JSONL export, as a T.
func decodeLines[T any](t testing.TB, r io.Reader) []T {
	t.Helper()
	var out []T
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l T
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("JSONL line %d: %v", len(out)+1, err)
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
