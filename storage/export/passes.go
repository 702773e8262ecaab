package export

import (
	"context"
	"crypto/sha256"

	"github.com/trawl-crawler/trawl/storage"
)

// Skip reasons of the version filter.
const (
	skipOlderVersion = "older-version" // a later pass stored a newer record of the URL
	skipOtherPass    = "other-pass"    // Options.Pass names another pass
)

// versions says which record of each URL is its latest: a recrawl stores
// one record per URL per pass, and an export writes the latest by default.
// It holds 16 bytes of the URL's SHA-256 and the latest record's Seq per
// URL (about 50 bytes of heap each), from one extra scan of the snapshot.
type versions struct {
	latest map[[16]byte]uint64
}

func urlKey(u string) [16]byte {
	sum := sha256.Sum256([]byte(u))
	var k [16]byte
	copy(k[:], sum[:])
	return k
}

// latestVersions scans r once for the last record of every URL.
func latestVersions(ctx context.Context, r *storage.Reader) (*versions, error) {
	v := &versions{latest: map[[16]byte]uint64{}}
	err := r.Scan(ctx, func(rec *storage.Record) error {
		if !rec.Decision { // decision records go with the fetches, not instead of them
			v.latest[urlKey(rec.URL)] = rec.Seq
		}
		return nil
	})
	return v, err
}

// versionFilter is the first filter: the pass asked for, or the latest
// version of each URL.
func (o Options) versionFilter(rec *storage.Record) string {
	if o.Pass != nil {
		if rec.Pass != *o.Pass {
			return skipOtherPass
		}
		return ""
	}
	// Every robots.txt fetch is archived (they are not versions of a page).
	if o.versions != nil && !rec.Decision && !rec.Robots && o.versions.latest[urlKey(rec.URL)] != rec.Seq {
		return skipOlderVersion
	}
	return ""
}
