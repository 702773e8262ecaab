package storage

import "testing"

// openStore opens the store in dir at the committed checkpoint (nil: a new
// or empty store) and fails the test if it cannot.
func openStore(t testing.TB, dir string, committed []byte, opts Options) *Store {
	t.Helper()
	s, err := Open(dir, committed, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// appendRecs encodes and appends recs, then syncs, and returns the
// checkpoint after each.
func appendRecs(t testing.TB, s *Store, recs ...*Record) [][]byte {
	t.Helper()
	return appendSynced(t, s, false, recs)
}

// dedupRecs is appendRecs with each record first given to Store.Dedup, as
// the crawler's are.
func dedupRecs(t testing.TB, s *Store, recs ...*Record) [][]byte {
	t.Helper()
	return appendSynced(t, s, true, recs)
}

func appendSynced(t testing.TB, s *Store, dedup bool, recs []*Record) [][]byte {
	t.Helper()
	var cps [][]byte
	for _, r := range recs {
		if dedup {
			s.Dedup(r)
		}
		cp, err := s.Append(mustEncode(t, r))
		if err != nil {
			t.Fatal(err)
		}
		cps = append(cps, cp)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	return cps
}

// closeAt publishes cp and closes s.
func closeAt(t testing.TB, s *Store, cp []byte) {
	t.Helper()
	if err := s.Publish(cp); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
