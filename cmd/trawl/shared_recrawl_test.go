package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trawl-crawler/trawl/crawler"
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

// A worker's directory of a shared crawl, given without --frontier, is
// refused with the command that continues it, and nothing is written in
// it (resume failed there on the missing frontier.db).
func TestSharedWorkerDirNeedsFrontier(t *testing.T) {
	dir := t.TempDir()
	if err := crawler.WriteWorker(dir, crawler.Worker{Frontier: "redis://10.0.0.5:6379/0", Crawl: "example.com", WorkerID: "abc"}); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"resume", "recrawl"} {
		code, out, errOut := cli(t, "", cmd, "--dir", dir, "--progress", "off")
		if code != exitUsage || !strings.Contains(errOut, "worker of the shared crawl \"example.com\"") ||
			!strings.Contains(errOut, "trawl resume --frontier redis://10.0.0.5:6379/0 --dir "+dir) {
			t.Errorf("%s: exit %d, want %d naming the crawl and the command\nstdout: %s\nstderr: %s", cmd, code, exitUsage, out, errOut)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("the worker directory changed: %v", ents)
	}
}
