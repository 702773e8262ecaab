package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/crawler"
)

// resume --config FILE changes only what FILE names: every other
// operational setting keeps the value stored with the crawl, not the
// default the file's loader filled in.
func TestResumeConfigKeepsStoredSettings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "resume.yaml")
	if err := os.WriteFile(path, []byte("concurrency: 7\nmax_backoff: 30s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fc := defaultFileConfig()
	if err := loadYAML(path, &fc); err != nil {
		t.Fatal(err)
	}
	keys, err := yamlKeys(path)
	if err != nil {
		t.Fatal(err)
	}
	stored := crawler.Default()
	stored.Delay, stored.Retries, stored.PerHost, stored.MaxPages = 0, 0, 9, 123
	stored.RetryBackoff, stored.ParseWorkers, stored.AllowPrivate = 5*time.Millisecond, 1, true
	merged, changed := resumeConfig(stored, fc.Config, map[string]bool{"retries": true}, keys)
	if len(changed) > 0 {
		t.Fatalf("scope changes reported: %v", changed)
	}
	want := stored
	want.Concurrency, want.MaxBackoff = 7, 30*time.Second // named by the file
	want.Retries = fc.Retries                             // given as a flag
	if merged.Concurrency != want.Concurrency || merged.MaxBackoff != want.MaxBackoff || merged.Retries != want.Retries ||
		merged.Delay != want.Delay || merged.PerHost != want.PerHost || merged.MaxPages != want.MaxPages ||
		merged.RetryBackoff != want.RetryBackoff || merged.ParseWorkers != want.ParseWorkers || merged.AllowPrivate != want.AllowPrivate {
		t.Fatalf("merged config\n got %+v\nwant %+v", merged, want)
	}
}

// A scope setting given to resume, by flag or by the config file, is
// refused when it differs from the stored one, and accepted when equal.
func TestResumeConfigRefusesScopeChanges(t *testing.T) {
	stored := crawler.Default()
	stored.Seeds, stored.MaxDepth = []string{"http://a.test/"}, 3
	given := crawler.Default()
	given.MaxDepth, given.Include = 3, []string{"x"}
	_, changed := resumeConfig(stored, given, map[string]bool{"max-depth": true}, map[string]bool{"include": true})
	if len(changed) != 1 || changed[0] != "include" {
		t.Fatalf("changed %v, want [include]", changed)
	}
	_, changed = resumeConfig(stored, crawler.Default(), map[string]bool{"seeds-file": true}, nil)
	if len(changed) != 1 || changed[0] != "seeds" {
		t.Fatalf("changed %v, want [seeds]", changed)
	}
	_, changed = resumeConfig(stored, given, map[string]bool{"max-depth": true}, nil)
	if len(changed) != 0 {
		t.Fatalf("an unchanged max-depth was refused: %v", changed)
	}
}
