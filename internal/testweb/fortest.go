package testweb

import "testing"

// ForTest starts the web cfg describes for the test t and closes it at
// t's cleanup; a config that cannot be served fails t. The crawler, CLI
// and torture tests start their webs through it.
func ForTest(t testing.TB, cfg Config) *Web {
	t.Helper()
	w, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}
