package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Mistakes in the request flags are one-line errors, exit 2, nothing
// written, and never echo a header's value.
func TestRequestFlagMistakes(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "state")
	badCookies := filepath.Join(tmp, "cookies.txt")
	os.WriteFile(badCookies, []byte("example.com\tTRUE\t/\n"), 0o600)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bad header name", []string{"--header", "Bad Name: secret-value"}, "not a valid header name"},
		{"header without colon", []string{"--header", "Authorization Bearer secret-value"}, "Name: value"},
		{"owned header", []string{"--header", "Host: x"}, "cannot be set"},
		{"missing netrc", []string{"--netrc", filepath.Join(tmp, "nope")}, "nope"},
		{"missing cookies", []string{"--cookies", filepath.Join(tmp, "nope.txt")}, "nope.txt"},
		{"bad cookies line", []string{"--cookies", badCookies}, "cookies.txt:1"},
		{"cookies and no-cookies", []string{"--cookies", badCookies, "--no-cookies"}, "no_cookies"},
		{"bad requisite hosts", []string{"--requisite-hosts", "cdn"}, "requisite_hosts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"crawl", "--dir", dir}, tc.args...)
			code, _, stderr := cli(t, "", append(args, "http://a.test/")...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d; stderr: %s", code, exitUsage, stderr)
			}
			if !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
				t.Errorf("stderr %q: want one line naming %q", stderr, tc.want)
			}
			if strings.Contains(stderr, "secret-value") {
				t.Errorf("stderr shows the header value: %q", stderr)
			}
			if _, err := os.Stat(dir); err == nil {
				t.Errorf("%s was created on bad usage", dir)
			}
		})
	}
}
