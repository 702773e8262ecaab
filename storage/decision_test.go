package storage

import (
	"net/http"
	"testing"
	"time"
)

// A decision record round-trips as one (DecidedAt, no FetchedAt, no
// digest), and Encode refuses a decision that holds a response.
func TestDecisionRecord(t *testing.T) {
	at := time.Unix(1700000000, 42).UTC()
	in := &Record{URL: "http://example.com/x", Decision: true, Depth: 3, Parent: "http://example.com/", Reason: "blocked by robots.txt", DecidedAt: at}
	b := mustEncode(t, in)
	out, err := decodePayload(b.frame[frameHeaderLen:])
	if err != nil {
		t.Fatal(err)
	}
	if !out.Decision || !out.DecidedAt.Equal(at) || !out.FetchedAt.IsZero() || out.SHA256 != "" || out.Reason != in.Reason || out.Depth != 3 || out.Parent != in.Parent {
		t.Fatalf("decoded %+v", out)
	}
	for _, bad := range []*Record{
		{URL: "u", Decision: true, Status: 200},
		{URL: "u", Decision: true, Body: []byte("x")},
		{URL: "u", Decision: true, Header: http.Header{"A": {"b"}}},
	} {
		if _, err := Encode(bad); err == nil {
			t.Errorf("Encode(%+v) accepted a decision with a response", bad)
		}
	}
}

// A failure record written before decision records existed (status 0, a
// reason, no headers, no extension flag) reads as a decision record: its
// time becomes DecidedAt and the empty body's digest goes. One written in
// the v1 encoding (no extension at all) too.
func TestLegacyFailureReadsAsDecision(t *testing.T) {
	at := time.Unix(1600000000, 0).UTC()
	legacy := &Record{URL: "http://example.com/x", FinalURL: "http://example.com/x", Method: "GET", Reason: "robots.txt unavailable: HTTP 500", FetchedAt: at, Depth: 1}
	raw := appendRecord(nil, legacy, nil, false) // v1 encoding, no extension
	r, err := decodeRaw(raw, false)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Decision || !r.DecidedAt.Equal(at) || !r.FetchedAt.IsZero() || r.Reason != legacy.Reason || r.Depth != 1 {
		t.Fatalf("legacy failure read as %+v", r)
	}
	// A response keeps its kind.
	resp := &Record{URL: "http://example.com/y", Status: 500, Header: http.Header{"A": {"b"}}, FetchedAt: at}
	if r, err := decodeRaw(appendRecord(nil, resp, nil, false), false); err != nil || r.Decision {
		t.Fatalf("response read as %+v, %v", r, err)
	}
}

// A page's dropped-link count round-trips in the extension.
func TestLinksDroppedRoundTrip(t *testing.T) {
	in := &Record{URL: "http://example.com/", Status: 200, Header: http.Header{"A": {"b"}}, Body: []byte("x"), LinksDropped: 7942, FetchedAt: time.Unix(1, 0).UTC()}
	b := mustEncode(t, in)
	out, err := decodePayload(b.frame[frameHeaderLen:])
	if err != nil || out.LinksDropped != 7942 || out.Decision {
		t.Fatalf("decoded %+v, %v", out, err)
	}
}
