package depthweb

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestReference checks the reference against the shape the package doc
// promises: short paths through the slow host, a redirect that adds no
// depth, tails cut by the limit.
func TestReference(t *testing.T) {
	w, err := Start(Config{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	F, S := w.servers[0].URL, w.servers[1].URL
	all := w.Reference(-1)
	for _, u := range w.URLs() {
		if _, ok := all[u]; !ok {
			t.Errorf("%s unreachable from the seeds", u)
		}
	}
	for u, want := range map[string]int{F + "/": 0, S + "/": 1, S + "/r": 2, F + "/y": 2, F + "/x7": 2, F + "/x7/t1": 3, F + "/c2": 2} {
		if got, ok := all[u]; !ok || got != want {
			t.Errorf("depth of %s = %d (known %v), want %d", u, got, ok, want)
		}
	}
	r3 := w.Reference(3)
	if _, ok := r3[F+"/x7/t2"]; ok {
		t.Errorf("Reference(3) holds %s/x7/t2 at depth 4", F)
	}
	if d, ok := r3[F+"/x7/t1"]; !ok || d != 3 {
		t.Errorf("Reference(3): x7/t1 depth %d (known %v), want 3", d, ok)
	}
	resp, err := http.Get(S + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), F+"/x7") {
		t.Errorf("S/ does not link to x7:\n%s", b)
	}
	if got := w.Fetched()[S+"/"]; got != 1 {
		t.Errorf("Fetched()[S/] = %d, want 1", got)
	}
}
