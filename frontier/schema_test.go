package frontier

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestDedupIgnoresHost: the seen-set is keyed by the URL alone, so a URL
// added again under another host key is still a duplicate.
func TestDedupIgnoresHost(t *testing.T) {
	f := open(t, "", Options{})
	defer f.Close()
	u := "http://a.example/1"
	if n := add(t, f, Item{URL: u, Host: "a"}, Item{URL: u, Host: "b"}); n != 1 {
		t.Fatalf("Add = %d, want 1", n)
	}
	if n := add(t, f, Item{URL: u, Host: "c"}); n != 0 {
		t.Fatalf("Add under another host = %d, want 0", n)
	}
	checkCounts(t, f, Stats{Queued: 1, Hosts: 1})
}

func TestOpenOlderSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	open(t, path, Options{}).Close()
	db, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bktMeta).Put(keySchema, u64(1)) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	f, err := Open(path, Options{})
	if !errors.Is(err, ErrNotFrontier) {
		if f != nil {
			f.Close()
		}
		t.Fatalf("Open of schema 1 = %v, want ErrNotFrontier", err)
	}
}

// copyFixture copies the frontier file fixture (a file written by older
// code, kept in testdata) to a new directory, so that opening it (which
// migrates it) leaves the fixture as it is, and returns the copy's path.
func copyFixture(t *testing.T, fixture string) string {
	t.Helper()
	src, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "frontier.db")
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestMigrateSchema2 opens a schema 2 file (testdata/schema2.db, written by
// the schema 2 code: 16 URLs on 4 hosts, one done, one failed, one retry,
// three leased by epoch 1) and checks the migrated frontier: the seen log
// replaces the index, dedup still knows every URL, the leases are swept.
func TestMigrateSchema2(t *testing.T) {
	path := copyFixture(t, "testdata/schema2.db")
	f := open(t, path, Options{})
	checkCounts(t, f, Stats{Queued: 14, Done: 1, Failed: 1, Retries: 1, Hosts: 4, Bytes: 100})
	old := []Item{{URL: "http://a.example/p0", Host: "a.example"}, {URL: "http://d.example/", Host: "d.example"}, {URL: "http://c.example/p4", Host: "c.example"}}
	if n := add(t, f, old...); n != 0 {
		t.Errorf("Add of URLs the schema 2 file knew = %d new, want 0", n)
	}
	if n := add(t, f, Item{URL: "http://e.example/", Host: "e.example"}); n != 1 {
		t.Errorf("Add of a new URL = %d, want 1", n)
	}
	if got := metaStr(t, f, "k"); got != "v" {
		t.Errorf("Meta(k) = %q, want v", got)
	}
	f.Close()
	checkMigrated(t, path, []byte("index"))
}

// TestSeenLogMismatch: a seen log that does not cover every record is
// damage, reported on Open rather than letting a known URL be queued twice.
func TestSeenLogMismatch(t *testing.T) {
	f, path := openNew(t, Options{})
	add(t, f, Item{URL: "http://a.example/1", Host: "a"}, Item{URL: "http://a.example/2", Host: "a"})
	f.Close()
	db, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		k, v := tx.Bucket(bktSeen).Cursor().First()
		return tx.Bucket(bktSeen).Put(k, v[:seenUnit])
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	f, err = Open(path, Options{})
	if err == nil {
		f.Close()
		t.Fatal("Open with a short seen log succeeded")
	}
	if !strings.Contains(err.Error(), "1 fingerprints for 2 URLs") {
		t.Errorf("error %q does not name the mismatch", err)
	}
}

// TestMigrateSchema4 opens a schema 4 file (testdata/schema4.db, written by
// the schema 4 code at 0ddf64c: 16 URLs on 4 hosts, one done, one failed,
// one retry due at t0+1h, three leased by epoch 1, among them one of
// d.example, whose delay of 2s its lease persisted as next-allowed t0+2s):
// the leases go back to their queues, the leases bucket goes, each host's
// queue count comes from the queue buckets (the counts in the old host
// records are skipped), and every queued URL is leased exactly once.
func TestMigrateSchema4(t *testing.T) {
	path := copyFixture(t, "testdata/schema4.db")
	f := open(t, path, Options{PerHost: 16})
	checkCounts(t, f, Stats{Queued: 14, Done: 1, Failed: 1, Retries: 1, Hosts: 4, Bytes: 100})
	if got := metaStr(t, f, "k"); got != "v" {
		t.Errorf("Meta(k) = %q, want v", got)
	}
	for h, want := range map[string]int{"a.example": 3, "b.example": 3, "c.example": 4, "d.example": 4} {
		if hs, _ := f.Host(h); hs.Queued != want {
			t.Errorf("Host(%s).Queued = %d, want %d", h, hs.Queued, want)
		}
	}
	d, _ := f.Host("d.example")
	if d.Delay != 2*time.Second || !d.NextAllowed.Equal(t0.Add(2*time.Second)) || d.Robots == nil || d.Robots.Status != 200 {
		t.Errorf("d.example after migration: %+v, want delay 2s, next-allowed t0+2s, robots kept", d)
	}
	if n := add(t, f, Item{URL: "http://a.example/p2", Host: "a.example"}); n != 0 {
		t.Errorf("Add of a URL the schema 4 file knew = %d new, want 0", n)
	}
	leased := map[string]int{}
	now := t0.Add(2 * time.Hour)
	for range 14 {
		l := next(t, f, now)
		leased[l.URL]++
		now = now.Add(2 * time.Second) // d.example's delay
	}
	if _, ok, _, _ := f.Next(now.Add(time.Hour)); ok || len(leased) != 14 {
		t.Errorf("leased %d distinct URLs of 14 (%v), or more than 14", len(leased), leased)
	}
	for _, u := range []string{"http://a.example/p1", "http://a.example/p2", "http://d.example/p0", "http://c.example/p0"} {
		if leased[u] != 1 {
			t.Errorf("%s (leased or retried in the schema 4 file) leased %d times, want 1", u, leased[u])
		}
	}
	f.Close()
	checkMigrated(t, path, bktLeases)
}

// checkMigrated: the closed frontier file at path is at schemaVersion and
// no longer holds the bucket dropped, which the migration removed.
func checkMigrated(t *testing.T, path string, dropped []byte) {
	t.Helper()
	db, err := bolt.Open(path, 0o644, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_ = db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(dropped) != nil {
			t.Errorf("the %s bucket survived the migration", dropped)
		}
		if v, _ := readU64(tx.Bucket(bktMeta).Get(keySchema)); v != schemaVersion {
			t.Errorf("schema after migration = %d, want %d", v, schemaVersion)
		}
		return nil
	})
}
