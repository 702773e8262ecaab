package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMistakesGetOneLine: every usage mistake (a flag, a config file, a
// seed, a request flag, a command) prints exactly one line on stderr,
// names what the user typed (the flag, the config key and its line, the
// seed), says what would work, never echoes a header's value, exits 2 and
// writes nothing: --dir is not created.
func TestMistakesGetOneLine(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "state")
	typo := writeFile(t, tmp, "typo.yaml", "# settings\nconcurrency: 4\nperhost: 3\n")
	badVal := writeFile(t, tmp, "badval.yaml", "delay: 1s\nmax_depth: deep\n")
	badPerHost := writeFile(t, tmp, "perhost.yaml", "per_host: 0\n")
	cfgUnknown := writeFile(t, tmp, "unknown.yaml", "concurency: 3\n")
	cfgBad := writeFile(t, tmp, "bad.yaml", "delay: soon\n")
	badCookies := writeFile(t, tmp, "cookies.txt", "example.com\tTRUE\t/\n")
	seed := "http://a.test/"
	crawl := func(flags ...string) []string { return append(append([]string{"crawl", "--dir", dir}, flags...), seed) }
	cases := []struct {
		name string
		args []string
		want []string // all in the one stderr line
		not  []string // none of these
	}{
		{"unknown flag suggests", crawl("--max-dept", "2"),
			[]string{"unknown flag --max-dept", "did you mean --max-depth?", "trawl crawl --help"}, []string{"Usage", "-max-depth int"}},
		{"unknown flag no suggestion", crawl("--turbo"),
			[]string{"unknown flag --turbo", "trawl crawl --help"}, []string{"did you mean"}},
		{"unknown export flag", []string{"export", "--dir", dir, "--formt", "jsonl"},
			[]string{"did you mean --format?", "trawl export --help"}, nil},
		{"flag without value", []string{"crawl", seed, "--dir"}, []string{"--dir needs a value"}, nil},
		{"bad int", crawl("--per-host", "many"), []string{`--per-host "many": not a whole number`}, nil},
		{"bad size", crawl("--max-body", "lots"), []string{`--max-body`, "10MiB"}, nil},
		{"bad duration", crawl("--delay", "soon"), []string{`--delay "soon": not a duration`}, nil},
		{"flag named as typed", crawl("--per-host", "0"), []string{"--per-host must be at least 1"}, []string{"per_host", "invalid configuration"}},
		{"negative max-pages", crawl("--max-pages", "-1"), []string{"--max-pages must not be negative"}, nil},
		{"negative concurrency", crawl("--concurrency", "-1"), []string{"concurrency"}, nil},
		{"negative retries", crawl("--retries", "-2"), []string{"retries"}, nil},
		{"bad scope", crawl("--scope", "planet"), []string{"scope"}, nil},
		{"bad regex", crawl("--include", "(["), []string{"bad regular expression"}, nil},
		{"bad log level", crawl("--log-level", "loud"), []string{`--log-level "loud"`}, nil},
		{"bad proxy", crawl("--proxy", "::::"), []string{"proxy"}, nil},
		{"config key named with file", crawl("--config", badPerHost), []string{"per_host (in " + badPerHost + ") must be at least 1"}, nil},
		{"yaml typo names key and line", crawl("--config", typo),
			[]string{typo + " line 3", `unknown key "perhost"`, "did you mean per_host?"}, []string{"main.fileConfig", "type"}},
		{"yaml bad value names key and line", crawl("--config", badVal),
			[]string{badVal + " line 2", "max_depth", "want a whole number", `"deep"`}, []string{"int", "unmarshal"}},
		{"unknown config key", crawl("--config", cfgUnknown), []string{"concurency"}, nil},
		{"bad config value", crawl("--config", cfgBad), []string{"soon"}, nil},
		{"missing config", crawl("--config", filepath.Join(tmp, "nope.yaml")), []string{"nope.yaml"}, nil},
		{"no seeds", []string{"crawl", "--dir", dir}, []string{"no seed URLs"}, nil},
		{"bad seed", []string{"crawl", "--dir", dir, "ftp://x/"}, []string{"not an absolute http(s) URL"}, nil},
		{"relative seed", []string{"crawl", "--dir", dir, "/just/a/path"}, []string{"not an absolute"}, nil},
		{"seed without scheme", []string{"crawl", "--dir", dir, "example.com"}, []string{`seed "example.com"`, "did you mean https://example.com/?"}, nil},
		{"seed path without scheme", []string{"crawl", "--dir", dir, "docs.example.com/guide"}, []string{"did you mean https://docs.example.com/guide?"}, nil},
		{"unreadable seeds file", []string{"crawl", "--dir", dir, "--seeds-file", filepath.Join(tmp, "nope.txt")}, []string{"nope.txt"}, nil},
		{"bad header name", crawl("--header", "Bad Name: secret-value"), []string{"not a valid header name"}, []string{"secret-value"}},
		{"header without colon", crawl("--header", "Authorization Bearer secret-value"), []string{"Name: value"}, []string{"secret-value"}},
		{"owned header", crawl("--header", "Host: x"), []string{"cannot be set"}, nil},
		{"missing netrc", crawl("--netrc", filepath.Join(tmp, "nope")), []string{"nope"}, nil},
		{"missing cookies", crawl("--cookies", filepath.Join(tmp, "nope.txt")), []string{"nope.txt"}, nil},
		{"bad cookies line", crawl("--cookies", badCookies), []string{"cookies.txt:1"}, nil},
		{"cookies and no-cookies", crawl("--cookies", badCookies, "--no-cookies"), []string{"no_cookies"}, nil},
		{"bad requisite hosts", crawl("--requisite-hosts", "cdn"), []string{"requisite_hosts"}, nil},
		{"unknown command", []string{"staus"}, []string{`unknown command "staus"`, "did you mean status?"}, []string{"Usage"}},
		{"unknown command crawlx", []string{"crawlx"}, []string{"unknown command"}, nil},
		{"status no crawl", []string{"status", "--dir", dir}, []string{"no crawl in " + dir, "trawl crawl --dir " + dir}, []string{"status:"}},
		{"export no crawl", []string{"export", "--dir", dir, "--format", "jsonl", "--out", "-"}, []string{"no crawl in " + dir}, []string{"export: export"}},
		{"resume no crawl", []string{"resume", "--dir", dir}, []string{"no crawl in " + dir}, nil},
		{"export bad format", []string{"export", "--dir", dir, "--format", "pdf", "--out", filepath.Join(tmp, "o")}, []string{`"pdf"`}, []string{"export: export"}},
		{"export stray argument", []string{"export", "--dir", dir, "--format", "jsonl", "out.jsonl"}, []string{`"out.jsonl"`, "--out"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := cli(t, "", tc.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if n := strings.Count(stderr, "\n"); n != 1 {
				t.Errorf("stderr has %d lines, want 1: %q", n, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if !strings.HasPrefix(stderr, "trawl: ") || strings.HasPrefix(stderr, "trawl: trawl") {
				t.Errorf("stderr %q: want one \"trawl: \" prefix", stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q lacks %q", stderr, w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(stderr, n) {
					t.Errorf("stderr %q contains %q", stderr, n)
				}
			}
			if _, err := os.Stat(dir); err == nil {
				t.Errorf("%s was created on bad usage", dir)
			}
		})
	}
}

// TestNoCommandPrintsUsage: trawl with no command prints its usage (the
// commands, on stderr), exits 2 and writes nothing.
func TestNoCommandPrintsUsage(t *testing.T) {
	code, stdout, stderr := cli(t, "")
	if code != exitUsage || stdout != "" || !strings.Contains(stderr, "Usage") {
		t.Fatalf("exit %d, stdout %q, stderr %q; want %d and the usage on stderr", code, stdout, stderr, exitUsage)
	}
}

// TestHelpIsGroupedWithExamples: --help prints to stdout, exits 0, groups
// the flags, writes them --style, and lists every flag the command has.
func TestHelpIsGroupedWithExamples(t *testing.T) {
	for _, cmd := range []string{"crawl", "resume", "export", "status"} {
		code, stdout, stderr := cli(t, "", cmd, "--help")
		if code != exitOK || stderr != "" {
			t.Fatalf("%s --help: exit %d, stderr %q", cmd, code, stderr)
		}
		for _, w := range []string{"Usage: trawl " + cmd, "Examples:", "  --dir DIR"} {
			if !strings.Contains(stdout, w) {
				t.Errorf("%s --help lacks %q:\n%s", cmd, w, stdout)
			}
		}
		if strings.Contains(stdout, "\nOther:") {
			t.Errorf("%s --help has flags in no group:\n%s", cmd, stdout)
		}
		if strings.Contains(stdout, "\n  -") && strings.Contains(stdout, "\n  -d") {
			t.Errorf("%s --help uses single-dash flags", cmd)
		}
	}
	_, stdout, _ := cli(t, "", "crawl", "--help")
	for _, w := range []string{"Scope", "Politeness", "Limits", "State and output", "--max-body SIZE", "(default 10MiB)"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("crawl --help lacks %q", w)
		}
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		bad  bool
	}{
		{"10MiB", 10 << 20, false}, {"10mib", 10 << 20, false}, {"500KB", 500_000, false}, {"500kb", 500_000, false},
		{"1048576", 1 << 20, false}, {"1.5G", 3 << 29, false}, {"2 MB", 2_000_000, false}, {"64K", 64 << 10, false},
		{"7B", 7, false}, {"", 0, true}, {"MiB", 0, true}, {"ten", 0, true}, {"99999999999TiB", 0, true},
	} {
		got, err := parseSize(tc.in)
		if (err != nil) != tc.bad || (!tc.bad && got != tc.want) {
			t.Errorf("parseSize(%q) = %d, %v; want %d (bad=%v)", tc.in, got, err, tc.want, tc.bad)
		}
	}
	for _, n := range []int64{0, 1, 1000, 1 << 10, 10 << 20, 3 << 30, 12345} {
		if got, err := parseSize(formatSize(n)); err != nil || got != n {
			t.Errorf("formatSize(%d) = %q reads back as %d, %v", n, formatSize(n), got, err)
		}
	}
}
