package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// `trawl recrawl --frontier` is refused with the limitation named (it ran
// as a plain resume that started no pass), before it touches the directory
// or Redis.
func TestSharedRecrawlRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "w1")
	code, out, errOut := cli(t, "", "recrawl", "--frontier", "redis://127.0.0.1:1/0", "--dir", dir, "--progress", "off")
	if code != exitUsage {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, exitUsage, out, errOut)
	}
	for _, want := range []string{"recrawl passes are not supported with a shared frontier", "--crawl NEW-NAME"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}
