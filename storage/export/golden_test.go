package export

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// update rewrites the golden files instead of comparing with them:
//
//	go test ./storage/export/ -run TestGolden -update
//
// Review the diff: it is the change in the export formats users see.
var update = flag.Bool("update", false, "rewrite testdata/golden/* from the current output")

// TestGolden pins the three export formats byte for byte on testRecords
// (pages, a query URL, a binary, a 404, a failure, invalid UTF-8 in a
// header): a change to what users get shows up as a diff of a golden file.
// The only parts that vary between runs are replaced before comparing: the
// warcinfo record's date and the ID derived from it.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		read func(t *testing.T, out string) []byte
	}{
		{"jsonl", Options{Format: FormatJSONL}, goldenFile},
		{"jsonl-no-body", Options{Format: FormatJSONL, NoBody: true}, goldenFile},
		{"jsonl-decisions", Options{Format: FormatJSONL, IncludeDecisions: true}, goldenFile},
		{"warc", Options{Format: FormatWARC, Software: "trawl/golden"}, goldenWARC},
		{"dir", Options{Format: FormatDir}, goldenTree},
		{"dir-rewrite-links", Options{Format: FormatDir, RewriteLinks: true}, goldenTree},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := fillStore(t, testRecords())
			out := filepath.Join(t.TempDir(), "out")
			if tc.opts.Format == FormatJSONL {
				out += ".jsonl"
			}
			tc.opts.Out = out
			run(t, store, tc.opts)
			got := tc.read(t, out)
			golden := filepath.Join("testdata", "golden", tc.name+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s export differs from %s (run with -update and review the diff if the change is meant):\n%s",
					tc.name, golden, firstDiff(want, got))
			}
		})
	}
}

func goldenFile(t *testing.T, out string) []byte {
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var (
	warcinfoDate = regexp.MustCompile(`(?s)(WARC-Type: warcinfo\r\n(?:[^\r]*\r\n)*?WARC-Date: )[^\r]*`)
	warcinfoID   = regexp.MustCompile(`WARC-Type: warcinfo\r\n(?:[^\r]*\r\n)*?WARC-Record-ID: (<urn:uuid:[^>]*>)`)
)

// goldenWARC concatenates the export's WARC files, decompressed, each under
// a header line, with the warcinfo date and ID replaced by placeholders.
func goldenWARC(t *testing.T, out string) []byte {
	names, err := filepath.Glob(filepath.Join(out, "*.warc.gz"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no WARC files in %s: %v", out, err)
	}
	var all bytes.Buffer
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(f) // reads every member in turn
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(zr)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if m := warcinfoID.FindSubmatch(b); m != nil {
			b = bytes.ReplaceAll(b, m[1], []byte("<urn:uuid:WARCINFO>"))
		}
		b = warcinfoDate.ReplaceAll(b, []byte("${1}WARCINFO-DATE"))
		fmt.Fprintf(&all, "=== %s\n", filepath.Base(name))
		all.Write(b)
	}
	return all.Bytes()
}

// goldenTree lists every file of a dir export in path order with its
// content (quoted when it is not valid UTF-8 text).
func goldenTree(t *testing.T, out string) []byte {
	var buf bytes.Buffer
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(out, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(&buf, "=== %s (%d bytes)\n", filepath.ToSlash(rel), len(b))
		if utf8.Valid(b) && !bytes.ContainsRune(b, 0) {
			buf.Write(b)
			if len(b) > 0 && b[len(b)-1] != '\n' {
				buf.WriteString("\n(no newline at end)\n")
			}
		} else {
			fmt.Fprintf(&buf, "%q\n", b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// firstDiff shows the first line where want and got differ, with context.
func firstDiff(want, got []byte) string {
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n  want %q\n  got  %q", i+1, w, g)
		}
	}
	return "(same lines, different bytes)"
}
