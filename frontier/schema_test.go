package frontier

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
	db, err := bolt.Open(path, 0o644, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_ = db.View(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte("index")) != nil {
			t.Error("the index bucket survived the migration")
		}
		if v, _ := readU64(tx.Bucket(bktMeta).Get(keySchema)); v != schemaVersion {
			t.Errorf("schema after migration = %d, want %d", v, schemaVersion)
		}
		return nil
	})
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
