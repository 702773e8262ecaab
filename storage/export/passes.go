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
	// skipDuplicate: another page store of the export holds a later fetch
	// of the URL in the same pass (two workers of a shared crawl fetched
	// it, or two crawls exported together overlap).
	skipDuplicate = "duplicate-fetch"
)

// versions says which record of each URL is its latest: a recrawl stores
// one record per URL per pass, the workers of a shared crawl each keep a
// store, and an export writes the latest record of each URL by default.
// It holds 16 bytes of the URL's SHA-256 and where the latest record is
// per URL, from one extra scan of the snapshot.
type versions struct {
	latest map[[16]byte]version
}

// version is one record of a URL, as much as is needed to order it among
// the URL's other records.
type version struct {
	at   int64  // FetchedAt, Unix nanoseconds
	seq  uint64 // Seq in its store
	src  int32  // its store's place in the export
	pass int32
}

// newer orders the records of one URL: the later pass, then the later
// fetch, then the later store of the export, then the later record of
// its store. In one store this is append order (a pass is appended after
// the one before it), so a single store's latest record is its last.
func (v version) newer(than version) bool {
	switch {
	case v.pass != than.pass:
		return v.pass > than.pass
	case v.at != than.at:
		return v.at > than.at
	case v.src != than.src:
		return v.src > than.src
	}
	return v.seq > than.seq
}

func versionOf(src int, rec *storage.Record) version {
	return version{at: rec.FetchedAt.UnixNano(), seq: rec.Seq, src: int32(src), pass: int32(rec.Pass)}
}

func urlKey(u string) [16]byte {
	sum := sha256.Sum256([]byte(u))
	var k [16]byte
	copy(k[:], sum[:])
	return k
}

// latestVersions scans the stores once for the latest record of every URL
// (of pass *pass only, if pass is set).
func latestVersions(ctx context.Context, rs []*storage.Reader, pass *int) (*versions, error) {
	v := &versions{latest: map[[16]byte]version{}}
	err := scanStores(ctx, rs, false, func(src int, rec *storage.Record) error {
		if rec.Decision || (pass != nil && rec.Pass != *pass) {
			return nil // decision records go with the fetches, not instead of them
		}
		k, this := urlKey(rec.URL), versionOf(src, rec)
		if old, ok := v.latest[k]; !ok || this.newer(old) {
			v.latest[k] = this
		}
		return nil
	})
	return v, err
}

// versionFilter is the first filter: the pass asked for, or the latest
// version of each URL.
func (o Options) versionFilter(src int, rec *storage.Record) string {
	if o.Pass != nil && rec.Pass != *o.Pass {
		return skipOtherPass
	}
	// Every robots.txt fetch is archived (they are not versions of a page).
	if o.versions == nil || rec.Decision || rec.Robots {
		return ""
	}
	latest := o.versions.latest[urlKey(rec.URL)]
	switch this := versionOf(src, rec); {
	case this == latest:
		return ""
	case latest.pass == this.pass && latest.src != this.src:
		return skipDuplicate
	}
	return skipOlderVersion
}
