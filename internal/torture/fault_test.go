//go:build torture

package torture

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/internal/testweb"
)

// mount runs mount(8) with args; the disk-full test needs root.
func mount(args ...string) error {
	out, err := exec.Command("mount", args...).CombinedOutput()
	if err != nil {
		return &mountError{args: args, out: string(out), err: err}
	}
	return nil
}

type mountError struct {
	args []string
	out  string
	err  error
}

func (e *mountError) Error() string {
	return "mount " + strings.Join(e.args, " ") + ": " + e.err.Error() + ": " + strings.TrimSpace(e.out)
}

// TestTortureDiskFull puts the state directory on an 8 MiB tmpfs that the
// crawl overflows: trawl must stop with a clear "no space" error, keep every
// committed page, and finish on resume once the filesystem is enlarged.
func TestTortureDiskFull(t *testing.T) {
	mnt := filepath.Join(t.TempDir(), "small")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := mount("-t", "tmpfs", "-o", "size=8m", "tmpfs", mnt); err != nil {
		t.Skipf("disk-full test needs a tmpfs mount (root): %v", err)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", mnt, err, out)
		}
	})
	// ~600 pages of 64 KB of filler: far more than 8 MiB even compressed.
	web := testweb.ForTest(t, testweb.Config{Name: "full", Hosts: 3, PagesPerHost: 200, PageSize: 64 << 10,
		FanOut: 6, Seed: 13, Features: testweb.Clean()})
	expected := web.Expected()
	dir := filepath.Join(mnt, "state")
	start := time.Now()

	code, out := runToEnd(t, 3*time.Minute, crawlCmd(web, dir)...)
	if code == 0 {
		t.Fatalf("crawl on a full disk exited 0:\n%s", out)
	}
	if code != 1 {
		t.Errorf("crawl on a full disk exited %d, want 1", code)
	}
	if !strings.Contains(strings.ToLower(out), "no space") {
		t.Errorf("error does not mention the full disk:\n%s", out)
	}
	if strings.Contains(out, "goroutine ") || strings.Contains(out, "panic:") {
		t.Errorf("panic on a full disk:\n%s", out)
	}
	// What was committed before the disk filled (the export goes to the
	// roomy temp dir).
	committed, n := exportCounts(t, time.Minute, dir)
	if n == 0 {
		t.Errorf("nothing was committed before the disk filled")
	}

	if err := mount("-o", "remount,size=256m", mnt); err != nil {
		t.Fatal(err)
	}
	code, out = runToEnd(t, 3*time.Minute, resumeCmd(web, dir)...)
	if code != 0 {
		t.Fatalf("resume after freeing space exited %d:\n%s", code, out)
	}
	st, lines := checkFinal(t, dir, expected)
	final, _ := exportCounts(t, time.Minute, dir)
	for u := range committed {
		if final[u] != 1 {
			t.Errorf("%s committed before the disk filled, exported %d times after resume", u, final[u])
		}
	}
	rep := web.Report()
	t.Logf("disk full: %d pages committed before ENOSPC, %d expected, %d stored after resume, %d lines, %d requests, %d duplicate fetches, %v",
		n, len(expected), st.Stored, lines, rep.Requests, len(rep.Duplicates), time.Since(start).Round(time.Millisecond))
}

// TestTortureCorruptState hands trawl corrupt or foreign state directories:
// every command must fail with a clear message (exit 1 or 2), never panic,
// and leave the foreign or damaged files byte-identical.
func TestTortureCorruptState(t *testing.T) {
	web := testweb.ForTest(t, testweb.Config{Name: "corrupt", Hosts: 2, PagesPerHost: 40, PageSize: 4 << 10,
		Seed: 14, Features: testweb.Clean()})
	// One finished crawl to damage copies of.
	good := filepath.Join(t.TempDir(), "good")
	if code, out := runToEnd(t, 2*time.Minute, crawlCmd(web, good)...); code != 0 {
		t.Fatalf("crawl exited %d:\n%s", code, out)
	}
	rng := rand.New(rand.NewPCG(14, 15))
	randomBytes := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		return b
	}

	cases := []struct {
		name  string
		make  func(t *testing.T) string // returns the --dir to use
		wants []string                  // one of these must appear in the output
		// damaged is the path whose bytes must not change (default: --dir).
		damaged func(dir string) string
		// mayPass lists commands that need not read the damaged file and
		// may succeed (status and export read status.json and the page
		// manifest, never the frontier); they must still not panic or
		// modify it.
		mayPass map[string]bool
		// bugs maps a command to a known trawl bug: the subtest is skipped
		// with its description unless TORTURE_BUGS=1.
		bugs map[string]string
	}{
		{
			name: "truncated frontier.db",
			make: func(t *testing.T) string {
				d := copyDir(t, good)
				// Keep the two meta pages, lose the tree.
				if err := os.Truncate(filepath.Join(d, "frontier.db"), 3*4096+100); err != nil {
					t.Fatal(err)
				}
				return d
			},
			wants:   []string{"frontier", "finished crawl"},
			mayPass: map[string]bool{"status": true, "export": true},
			damaged: func(d string) string { return filepath.Join(d, "frontier.db") },
		},
		{
			name: "truncated page segment",
			make: func(t *testing.T) string {
				d := copyDir(t, good)
				segs, _ := filepath.Glob(filepath.Join(d, "pages", "segments", "*"))
				var seg string
				for _, s := range segs {
					if fi, err := os.Stat(s); err == nil && fi.Mode().IsRegular() && fi.Size() > 4096 && !strings.Contains(filepath.Base(s), "manifest") {
						seg = s
						break
					}
				}
				if seg == "" {
					t.Fatalf("no segment file in %v", segs)
				}
				truncateHalf(t, seg)
				return d
			},
			wants:   []string{"segment", "pages", "truncat", "corrupt", "short", "finished crawl"},
			mayPass: map[string]bool{"status": true},
			damaged: func(d string) string { return filepath.Join(d, "pages") },
		},
		{
			name: "random file as --dir",
			make: func(t *testing.T) string {
				f := filepath.Join(t.TempDir(), "not-a-dir")
				if err := os.WriteFile(f, randomBytes(10<<10), 0o644); err != nil {
					t.Fatal(err)
				}
				return f
			},
			wants: []string{"not-a-dir"},
		},
		{
			name: "directory of random files with trawl's names",
			make: func(t *testing.T) string {
				d := t.TempDir()
				for _, name := range []string{"frontier.db", "crawl.json", "status.json", "pages"} {
					if err := os.WriteFile(filepath.Join(d, name), randomBytes(4<<10+rng.IntN(8<<10)), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				return d
			},
			wants: []string{"frontier", "crawl.json", "status", "pages", "not a", "no crawl", "corrupt"},
		},
		{
			name: "directory of random files",
			make: func(t *testing.T) string {
				d := t.TempDir()
				for i := 0; i < 8; i++ {
					if err := os.WriteFile(filepath.Join(d, "data-"+string(rune('a'+i))+".bin"), randomBytes(1<<10+rng.IntN(8<<10)), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				return d
			},
			wants:   []string{"no crawl", "not a", "holds", "nothing"},
			mayPass: map[string]bool{"crawl": true}, // a new crawl beside foreign files is fine; they must stay intact
		},
	}
	commands := []struct {
		name string
		args func(dir string) []string
	}{
		{"resume", func(d string) []string { return resumeCmd(web, d) }},
		{"status", func(d string) []string { return []string{"status", "--dir", d, "--json"} }},
		{"export", func(d string) []string {
			return []string{"export", "--dir", d, "--format", "jsonl", "--out", filepath.Join(t.TempDir(), "x.jsonl")}
		}},
		{"crawl", func(d string) []string { return crawlCmd(web, d) }},
	}
	for _, tc := range cases {
		for _, cmd := range commands {
			t.Run(tc.name+"/"+cmd.name, func(t *testing.T) {
				if bug := tc.bugs[cmd.name]; bug != "" && os.Getenv("TORTURE_BUGS") == "" {
					t.Skip(bug)
				}
				dir := tc.make(t)
				watch := dir
				if tc.damaged != nil {
					watch = tc.damaged(dir)
				}
				before, err := Snapshot(watch)
				if err != nil {
					t.Fatal(err)
				}
				code, out := runToEnd(t, time.Minute, cmd.args(dir)...)
				if strings.Contains(out, "goroutine ") || strings.Contains(out, "panic:") {
					t.Errorf("panic:\n%s", out)
				}
				if code != 0 || !tc.mayPass[cmd.name] {
					if code != 1 && code != 2 {
						t.Errorf("exit %d, want 1 or 2:\n%s", code, out)
					}
					named := false
					for _, w := range tc.wants {
						named = named || strings.Contains(strings.ToLower(out), w)
					}
					if !named {
						t.Errorf("message names none of %q:\n%s", tc.wants, out)
					}
				}
				after, err := Snapshot(watch)
				if err != nil {
					t.Fatal(err)
				}
				var changed []string
				for _, d := range DiffSnapshots(before, after) {
					// New files beside foreign ones are not damage; changed
					// or removed ones are.
					if !strings.HasPrefix(d, "added ") {
						changed = append(changed, d)
					}
				}
				if len(changed) > 0 {
					t.Errorf("foreign or damaged files modified: %v\n%s", changed, out)
				}
				t.Logf("exit %d: %s", code, firstLine(out))
			})
		}
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

func truncateHalf(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
}

// copyDir copies a state directory (regular files and directories only).
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "state")
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel(src, p))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}
