package storage

import (
	"bytes"
	"compress/flate"
	"testing"
	"time"
)

// TestDecodeDEFLATEPayload: stores written with the first payload format
// (0x01 + raw DEFLATE) stay readable after the switch to S2.
func TestDecodeDEFLATEPayload(t *testing.T) {
	rec := &Record{URL: "http://a.test/", FinalURL: "http://a.test/", Method: "GET", Status: 200,
		Body: []byte("<html>hello</html>"), SHA256: "x", FetchedAt: time.Unix(1700000000, 5).UTC()}
	var buf bytes.Buffer
	buf.WriteByte(payloadV1)
	fw, _ := flate.NewWriter(&buf, flate.BestSpeed)
	fw.Write(appendRecord(nil, rec, rec.Body, false))
	fw.Close()
	got, err := decodePayload(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if got.URL != rec.URL || string(got.Body) != string(rec.Body) || !got.FetchedAt.Equal(rec.FetchedAt) {
		t.Fatalf("decoded %+v", got)
	}
	if _, err := decodePayload([]byte{0x7f, 1, 2}); err == nil {
		t.Fatal("unknown payload version decoded")
	}
}
