package storage

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"
)

// Record is one of two kinds, never a mix. A response record is what a
// server answered (URL, FinalURL, Status, headers, body, FetchedAt...;
// Reason empty). A decision record (Decision set) is what trawl decided
// about a URL that got no response — blocked by robots.txt, refused,
// failed before a response: URL, Depth, Parent, Reason and DecidedAt only.
// Records written before decision records existed read as decisions when
// they hold no response (Status 0, no headers, a Reason).
type Record struct {
	URL           string      // the URL requested (canonical)
	FinalURL      string      // for a redirect: the resolved Location target; else == URL
	Method        string      // "GET"
	Status        int         // HTTP status; 0 for a failure without a response
	Reason        string      // decision records only: why the URL got no response
	Proto         string      // "HTTP/1.1"
	ContentType   string      // the Content-Type header value
	Header        http.Header // response headers as received (may hold invalid UTF-8)
	RequestHeader http.Header // request headers we sent (for WARC request records)
	Body          []byte      // decoded body, capped by the crawler
	Truncated     bool        // body hit the cap
	FetchedAt     time.Time   // when the response arrived; stored in UTC at nanosecond precision
	Depth         int         // link depth from the seed (seed = 0)
	Parent        string      // URL of the page that linked here ("" for seeds)
	SHA256        string      // hex digest of Body; Encode and Store.Dedup fill it if empty
	Seq           uint64      // crawl order; set by the reader (not stored)
	// Revisit is set when the body is not stored in this record's block but
	// in an earlier one (revisit.go); the reader fills Body from it.
	Revisit *Revisit
	// IP is the server's address the response came from ("" when not
	// known: through a proxy, or a failure before connecting); WARC
	// exports write it as WARC-IP-Address.
	IP string
	// Robots marks a robots.txt response the crawler fetched for its own
	// use: WARC exports archive it, the page exports (dir, JSONL) skip it.
	Robots bool
	// Pass is the crawl pass that fetched the record: 0 for the first
	// crawl, then 1, 2... for each recrawl.
	Pass int
	// LinksDropped counts the links of a page past --max-links-per-page
	// that were not queued (0 for most pages).
	LinksDropped int
	// Decision marks a decision record; DecidedAt is when it was decided
	// (FetchedAt stays zero).
	Decision  bool
	DecidedAt time.Time

	pos Ref // where the reader found the block (Ref())
}

// fillSHA256 sets SHA256, the hex SHA-256 of Body, unless it is set.
func (r *Record) fillSHA256() {
	if r.SHA256 == "" {
		sum := sha256.Sum256(r.Body)
		r.SHA256 = hex.EncodeToString(sum[:])
	}
}
