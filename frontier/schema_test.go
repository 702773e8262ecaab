package frontier

import (
	"errors"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func TestAuthority(t *testing.T) {
	tests := []struct{ url, want string }{
		{"https://a.example/x/y", "a.example"},
		{"http://a.example:8080?q=1", "a.example:8080"},
		{"http://user@a.example#frag", "user@a.example"},
		{"https://a.example", "a.example"},
		{"opaque-key-without-scheme", ""},
		{"", ""},
	}
	for _, tc := range tests {
		if got := authority(tc.url); got != tc.want {
			t.Errorf("authority(%q) = %q, want %q", tc.url, got, tc.want)
		}
	}
}

func TestURLKeyLocality(t *testing.T) {
	a1, a2 := makeURLKey("https://a.example/1"), makeURLKey("https://a.example/2")
	b1 := makeURLKey("https://b.example/1")
	if [4]byte(a1[:4]) != [4]byte(a2[:4]) {
		t.Errorf("one site's keys differ in the locality prefix: %x %x", a1, a2)
	}
	if a1 == a2 || [4]byte(a1[:4]) == [4]byte(b1[:4]) {
		t.Errorf("keys collide: %x %x %x", a1, a2, b1)
	}
}

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
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bktMeta).Put(keySchema, u64(schemaVersion-1)) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	f, err := Open(path, Options{})
	if !errors.Is(err, ErrNotFrontier) {
		if f != nil {
			f.Close()
		}
		t.Fatalf("Open of schema %d = %v, want ErrNotFrontier", schemaVersion-1, err)
	}
}
