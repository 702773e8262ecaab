package depthweb

import "testing"

// ForTest starts the web for the test t and stops it at t's cleanup; a
// web that cannot start fails t. The crawler, CLI and torture depth tests
// start it through here.
func ForTest(t testing.TB, cfg Config) *Web {
	t.Helper()
	w, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return w
}
