package main

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trawl-crawler/trawl/internal/testweb"
)

// A crawl whose only seed is refused by the address guard exits 1 at once
// (no robots.txt retries), says how to allow it, and status names the real
// reason ("blocked"), not robots.txt.
func TestRefusedSeedExits1WithTheRealReason(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the guard let a request through: %s", r.URL)
	}))
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "state")
	code, out, errOut := cli(t, "", "crawl", "--dir", dir, "--progress", "off", "--delay", "0", srv.URL+"/")
	if code != exitFailure {
		t.Fatalf("exit %d, want 1\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if !strings.Contains(errOut, "every seed failed") || !strings.Contains(errOut, "--allow-private") {
		t.Fatalf("stderr does not name the refusal and how to allow it:\n%s", errOut)
	}
	code, st, _ := cli(t, "", "status", "--dir", dir)
	if code != exitOK || !strings.Contains(st, "blocked") || strings.Contains(st, "robots") {
		t.Fatalf("status (exit %d) does not name the real reason:\n%s", code, st)
	}
}

// Only deferred work left: exit 0, and the summary and status name the
// deferred host and say that trawl resume retries it.
func TestDeferredHostInSummaryAndStatus(t *testing.T) {
	web := testweb.ForTest(t, testweb.Config{Hosts: 3, PagesPerHost: 5, PageSize: 512, Seed: 2, Features: testweb.Features{RobotsDown: 1}})
	down := web.Hosts()[2]
	dir := filepath.Join(t.TempDir(), "state")
	args := append([]string{"crawl", "--dir", dir, "--progress", "off", "--delay", "0", "--retries", "0",
		"--allow-private", "--proxy", web.ProxyURL()}, web.Seeds()...)
	code, out, errOut := cli(t, "", args...)
	if code != exitOK {
		t.Fatalf("exit %d, want 0\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	for _, want := range []string{"deferred", down, "trawl resume --dir " + dir, "robots.txt unavailable (HTTP 500)"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	_, st, _ := cli(t, "", "status", "--dir", dir)
	if !strings.Contains(st, "deferred") || !strings.Contains(st, down) {
		t.Errorf("status does not name the deferred host:\n%s", st)
	}
	_, js, _ := cli(t, "", "status", "--dir", dir, "--json")
	if !strings.Contains(js, `"deferred_hosts":[{"host":"`+down) {
		t.Errorf("status --json lacks deferred_hosts:\n%s", js)
	}
}
