package fetch

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"testing"
)

// BenchmarkGet fetches a 20 KB body over keep-alive connections from a
// loopback httptest server.
func BenchmarkGet(b *testing.B) {
	body := bytes.Repeat([]byte("0123456789"), 2048)
	srv, _ := serve(b, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	})
	c := newClient(b, Options{AllowPrivate: true})
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		resp, err := c.Get(ctx, srv.URL, nil)
		if err != nil {
			b.Fatal(err)
		}
		if len(resp.Body) != len(body) {
			b.Fatalf("body %d bytes", len(resp.Body))
		}
	}
}
