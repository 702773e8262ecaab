package export

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestExportRefusesToOverwrite: an existing JSONL file or a non-empty WARC
// or dir output is refused with ErrOutputExists and left untouched; Force
// replaces it (the earlier WARC files go, other files stay); an empty
// directory is fine.
func TestExportRefusesToOverwrite(t *testing.T) {
	store := fillStore(t, testRecords())
	tmp := t.TempDir()

	jsonl := filepath.Join(tmp, "pages.jsonl")
	os.WriteFile(jsonl, []byte("precious\n"), 0o644)
	if _, err := tryRun(t, store, Options{Format: FormatJSONL, Out: jsonl}); !errors.Is(err, ErrOutputExists) {
		t.Fatalf("jsonl over a file: %v, want ErrOutputExists", err)
	}
	if b, _ := os.ReadFile(jsonl); string(b) != "precious\n" {
		t.Fatalf("refused export changed the file: %q", b)
	}
	run(t, store, Options{Format: FormatJSONL, Out: jsonl, Force: true})
	if b, _ := os.ReadFile(jsonl); !strings.HasPrefix(string(b), `{"url":`) {
		t.Fatalf("--force did not replace the file: %.40q", b)
	}

	warcDir := filepath.Join(tmp, "warc")
	run(t, store, Options{Format: FormatWARC, Out: warcDir})
	os.WriteFile(filepath.Join(warcDir, "trawl-00007.warc.gz"), []byte("stale"), 0o644)
	os.WriteFile(filepath.Join(warcDir, "notes.txt"), []byte("mine"), 0o644)
	if _, err := tryRun(t, store, Options{Format: FormatWARC, Out: warcDir}); !errors.Is(err, ErrOutputExists) {
		t.Fatalf("warc into a full directory: %v, want ErrOutputExists", err)
	}
	run(t, store, Options{Format: FormatWARC, Out: warcDir, Force: true})
	if _, err := os.Stat(filepath.Join(warcDir, "trawl-00007.warc.gz")); err == nil {
		t.Error("--force left an earlier export's WARC file")
	}
	if _, err := os.Stat(filepath.Join(warcDir, "notes.txt")); err != nil {
		t.Error("--force removed a file that is not a WARC of ours")
	}

	empty := filepath.Join(tmp, "empty")
	os.Mkdir(empty, 0o755)
	run(t, store, Options{Format: FormatDir, Out: empty})
	if _, err := tryRun(t, store, Options{Format: FormatDir, Out: empty}); !errors.Is(err, ErrOutputExists) {
		t.Fatalf("dir into a full directory: %v, want ErrOutputExists", err)
	}
}

// TestJSONLNoBodyAndNoHTMLEscaping: --no-body leaves the body fields out;
// HTML is written as is, not as \u003c.
func TestJSONLNoBodyAndNoHTMLEscaping(t *testing.T) {
	store := fillStore(t, testRecords())
	out := filepath.Join(t.TempDir(), "with.jsonl")
	old := syscall.Umask(0o022) // the usual umask, whatever the test runner's
	run(t, store, Options{Format: FormatJSONL, Out: out})
	syscall.Umask(old)
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("JSONL file mode %v, want 0644 like the other exports", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(out)
	if strings.Contains(string(b), `\u003c`) || strings.Contains(string(b), `\u0026`) {
		t.Errorf("JSONL escapes HTML: %.200s", b)
	}
	if !strings.Contains(string(b), `<a href=\"/a\">a</a>`) {
		t.Errorf("JSONL lacks the body as written: %.200s", b)
	}

	out = filepath.Join(t.TempDir(), "without.jsonl")
	run(t, store, Options{Format: FormatJSONL, Out: out, NoBody: true})
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines := decodeLines[map[string]any](t, f)
	for _, m := range lines {
		if _, ok := m["body"]; ok {
			t.Errorf("--no-body line has a body: %v", m)
		}
		if _, ok := m["body_encoding"]; ok {
			t.Errorf("--no-body line has a body_encoding: %v", m)
		}
		if m["url"] == "" || m["sha256"] == "" {
			t.Errorf("--no-body line lost its metadata: %v", m)
		}
	}
	if len(lines) != len(testRecords())-1 { // the decision record is not written by default
		t.Errorf("%d lines, want %d", len(lines), len(testRecords())-1)
	}
	if err := (Options{Format: FormatWARC, Out: "x", NoBody: true}).Validate(); err == nil {
		t.Error("NoBody accepted for WARC")
	}
}
