package testweb

import (
	"context"
	"net/http/httptest"
	"testing"
	"testing/synctest"
)

// TestHoldAfter: the first n requests are answered, the next waits (and
// closes Reached) until Release; a waiting request whose client gives up
// gets no answer.
func TestHoldAfter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, err := newWeb(Config{Hosts: 1, PagesPerHost: 4, PageSize: 256})
		if err != nil {
			t.Fatal(err)
		}
		defer w.cancel()
		get := func(ctx context.Context, u string) int {
			rec := httptest.NewRecorder()
			w.Handler().ServeHTTP(rec, httptest.NewRequest("GET", u, nil).WithContext(ctx))
			return rec.Code
		}
		get(context.Background(), "http://h0.site.test/robots.txt")
		h := w.HoldAfter(2)
		get(context.Background(), "http://h0.site.test/")
		get(context.Background(), "http://h0.site.test/p/0")
		select {
		case <-h.Reached():
			t.Fatal("Reached closed after 2 of 2 requests")
		default:
		}
		got := make(chan int, 1)
		go func() { got <- get(context.Background(), "http://h0.site.test/p/1") }()
		synctest.Wait()
		select {
		case <-h.Reached():
		default:
			t.Fatal("Reached not closed by the third request")
		}
		select {
		case c := <-got:
			t.Fatalf("third request answered (%d) before Release", c)
		default:
		}
		b0 := w.Report().Bytes
		ctx, cancel := context.WithCancel(context.Background())
		gone := make(chan int, 1)
		go func() { gone <- get(ctx, "http://h0.site.test/p/2") }()
		synctest.Wait()
		cancel()
		<-gone
		if b := w.Report().Bytes; b != b0 {
			t.Errorf("abandoned request answered: %d bytes written", b-b0)
		}
		h.Release()
		if c := <-got; c != 200 {
			t.Errorf("released request: status %d, want 200", c)
		}
		if c := get(context.Background(), "http://h0.site.test/p/3"); c != 200 {
			t.Errorf("request after Release: status %d, want 200", c)
		}
		if n := w.Requests(); n != 6 {
			t.Errorf("Requests() = %d, want 6", n)
		}
		if n := w.Report().Requests; n != 6 {
			t.Errorf("judged %d requests, want 6", n)
		}
		if got := w.Report().MaxInFlight["h0.site.test"]; got != 2 {
			t.Errorf("MaxInFlight = %d, want 2 (held requests are in flight)", got)
		}
	})
}
