package export

import (
	"time"

	"github.com/trawl-crawler/trawl/storage"
)

// warcRevisit returns the WARC header fields and block of a revisit record
// for r (read from store src, where the record it refers to is too), or ok=false when r must be written as a full response: it is no
// revisit, or the record it refers to is not in this export (a filter or
// the version rule dropped it), so a reader of these files could not find
// the payload. With Options.Pass, a revisit may also refer to a response
// of an earlier pass (in that pass's export) that the filters keep.
//
// The block is the HTTP status line and headers without the payload
// (WARC 1.1 §6.7); WARC-Refers-To-Target-URI and -Date name the original
// response, whose WARC-Date is the same RFC 3339 string.
func (w *warcWriter) warcRevisit(src int, r *storage.Record, date, reqID, respID string) (hdr [][2]string, block []byte, ok bool) {
	rv := r.Revisit
	if rv == nil || rv.URL == "" || rv.Status == 0 {
		return nil, nil, false
	}
	if _, written := w.written[storeRef{src, rv.Ref}]; !written {
		orig := &storage.Record{URL: rv.URL, Status: rv.Status, ContentType: rv.ContentType, Pass: rv.Pass}
		earlierPass := w.o.Pass != nil && rv.Pass < *w.o.Pass
		noVersions := w.o
		noVersions.Pass, noVersions.versions = nil, nil
		if !earlierPass || noVersions.filter(src, orig) != "" {
			return nil, nil, false
		}
	}
	full := httpResponseBlock(r)
	block = full[:len(full)-len(r.Body)]
	hdr = append(w.pairHeader("revisit", respID, reqID, date, r.URL),
		[2]string{"WARC-Profile", rv.Profile},
		[2]string{"WARC-Refers-To-Target-URI", rv.URL},
		[2]string{"WARC-Refers-To-Date", rv.FetchedAt.UTC().Format(time.RFC3339Nano)},
		[2]string{"Content-Type", "application/http;msgtype=response"},
		[2]string{"WARC-Payload-Digest", sha1Digest(r.Body)},
	)
	return hdr, block, true
}
