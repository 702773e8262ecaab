package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/crawler"
)

// TestExampleConfigIsCompleteAndDefault keeps configs/trawl.yaml honest: it
// loads with no unknown key and every value equals the built-in default.
func TestExampleConfigIsCompleteAndDefault(t *testing.T) {
	fc := fileConfig{}
	if err := loadYAML("../../configs/trawl.yaml", &fc); err != nil {
		t.Fatal(err)
	}
	want := defaultFileConfig()
	if fc.Seeds == nil {
		fc.Seeds = want.Seeds
	}
	normalize := func(c *crawler.Config) {
		if len(c.Seeds) == 0 {
			c.Seeds = nil
		}
		if len(c.Include) == 0 {
			c.Include = nil
		}
		if len(c.Exclude) == 0 {
			c.Exclude = nil
		}
		if len(c.Headers) == 0 {
			c.Headers = nil
		}
	}
	normalize(&fc.Config)
	normalize(&want.Config)
	if !reflect.DeepEqual(fc, want) {
		t.Fatalf("configs/trawl.yaml differs from the defaults:\n file: %+v\n want: %+v", fc, want)
	}
}

// writeFile writes content to dir/name and returns the path: a config,
// seeds or cookies file for a test to name on the command line.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// loadConfigFile writes yaml to a config file and loads it over the
// defaults, as --config does; it returns the settings and the file's path.
func loadConfigFile(t *testing.T, yaml string) (fileConfig, string) {
	t.Helper()
	path := writeFile(t, t.TempDir(), "trawl.yaml", yaml)
	fc := defaultFileConfig()
	if err := loadYAML(path, &fc); err != nil {
		t.Fatal(err)
	}
	return fc, path
}

// TestYAMLSizesTakeUnits: max_body in the config file takes the same units
// as --max-body.
func TestYAMLSizesTakeUnits(t *testing.T) {
	fc, _ := loadConfigFile(t, "max_body: 2MiB\n")
	if fc.MaxBody != 2<<20 {
		t.Fatalf("max_body = %d, want %d", fc.MaxBody, 2<<20)
	}
}

// resume --config FILE changes only what FILE names: every other
// operational setting keeps the value stored with the crawl, not the
// default the file's loader filled in.
func TestResumeConfigKeepsStoredSettings(t *testing.T) {
	fc, path := loadConfigFile(t, "concurrency: 7\nmax_backoff: 30s\n")
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

// A resume takes --header (the flag is singular, the key plural),
// --cookies, --netrc and --page-requisites from its command line: they are
// not stored with the crawl, or may change.
func TestResumeTakesRequestFlags(t *testing.T) {
	stored := crawler.Default()
	stored.Seeds = []string{"http://a.test/"}
	given := crawler.Default()
	given.Headers = []string{"X-Token: t"}
	given.CookiesFile, given.NetrcFile, given.PageRequisites = "c.txt", "n", true
	set := map[string]bool{"header": true, "cookies": true, "netrc": true, "page-requisites": true}
	merged, changed := resumeConfig(stored, given, set, nil)
	if len(changed) > 0 {
		t.Fatalf("request flags read as scope changes: %v", changed)
	}
	if len(merged.Headers) != 1 || merged.CookiesFile != "c.txt" || merged.NetrcFile != "n" || !merged.PageRequisites {
		t.Fatalf("merged %+v", merged)
	}
}
