// Package warcverify reads and checks WARC files written by trawl's
// export, for tests, with code the writer does not share. Read parses them
// in process with the standard library alone (gzip members, textproto
// fields). Verify runs webrecorder's warcio.js over them: verify.mjs parses
// every record twice (raw blocks, then HTTP payloads) and recomputes every
// block and payload digest; revisit records must refer to a response
// earlier in the files with the same payload digest.
//
// warcio.js comes from the npm registry, pinned by package-lock.json in
// this directory and installed next to it (`make warcio`, which .ci/run
// runs). Nothing outside tests imports this package.
package warcverify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// Summary is what verify.mjs reports.
type Summary struct {
	Records        int            `json:"records"`
	ByType         map[string]int `json:"byType"`
	BlockDigests   int            `json:"blockDigests"`   // block digests recomputed and equal
	PayloadDigests int            `json:"payloadDigests"` // payload digests recomputed (or checked against the revisit's original) and equal
	Revisits       map[string]int `json:"revisits"`       // WARC-Profile -> count
	Problems       []string       `json:"problems"`
}

// ErrUnavailable means node or the installed warcio.js is missing.
var ErrUnavailable = errors.New("warcio.js unavailable (install with `make warcio`: needs node and npm)")

// dir is this package's source directory, where verify.mjs and
// node_modules live.
func dir() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("%w: cannot locate verify.mjs", ErrUnavailable)
	}
	return filepath.Dir(file), nil
}

// Available reports whether node and the installed warcio.js are there;
// the error (wrapping ErrUnavailable) says what is missing.
func Available() error {
	if _, err := exec.LookPath("node"); err != nil {
		return fmt.Errorf("%w: node not on PATH", ErrUnavailable)
	}
	d, err := dir()
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(d, "node_modules", "warcio", "package.json")); err != nil {
		return fmt.Errorf("%w: %s/node_modules/warcio missing", ErrUnavailable, d)
	}
	return nil
}

// Verify runs verify.mjs over files. A non-nil error means the reader did
// not run or found problems; Summary lists them.
func Verify(ctx context.Context, files ...string) (Summary, error) {
	if err := Available(); err != nil {
		return Summary{}, err
	}
	if len(files) == 0 {
		return Summary{}, errors.New("warcverify: no files")
	}
	d, _ := dir()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "node", append([]string{filepath.Join(d, "verify.mjs")}, files...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var s Summary
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &s); err != nil {
		return s, fmt.Errorf("warcverify: node %v: no summary (%v); stderr: %s", runErr, err, stderr.String())
	}
	if runErr != nil || len(s.Problems) > 0 {
		return s, fmt.Errorf("warcverify: %d problems (node: %v), first: %q", len(s.Problems), runErr, first(s.Problems))
	}
	return s, nil
}

func first(p []string) string {
	if len(p) == 0 {
		return ""
	}
	return p[0]
}

// Require is the tests' gate: nil when warcio.js can run; otherwise an
// error when CI=true (CI installs it, so missing is a failure there) and
// skip=true elsewhere.
func Require() (skip bool, err error) {
	err = Available()
	if err == nil {
		return false, nil
	}
	if os.Getenv("CI") == "true" {
		return false, err
	}
	return true, err
}
