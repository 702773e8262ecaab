package main

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/internal/testweb"
	"github.com/trawl-crawler/trawl/storage"
)

const childConcurrency = 4

// child starts this test binary as a trawl process.
func child(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), "TRAWL_CLI_CHILD=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &out
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func crawlArgs(web *testweb.Web, dir string) []string {
	args := []string{"--dir", dir, "--proxy", web.ProxyURL(), "--allow-private", "--delay", "0",
		"--concurrency", "4", "--log-level", "warn", "--progress", "off"}
	return args
}

// storedOnce checks every committed record appears exactly once and
// returns the set of stored URLs.
func storedOnce(t *testing.T, dir string) map[string]int {
	t.Helper()
	r, err := crawler.OpenPages(dir)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	if err := r.Scan(context.Background(), func(rec *storage.Record) error { seen[rec.URL]++; return nil }); err != nil {
		t.Fatal(err)
	}
	for u, n := range seen {
		if n != 1 {
			t.Errorf("%s stored %d times", u, n)
		}
	}
	return seen
}

// TestKill9ResumeLosesNothing crawls the test web with the real CLI in a
// child process, SIGKILLs it at random moments, resumes each time, and checks
// the end state against an uninterrupted crawl's (the test web's Expected set).
func TestKill9ResumeLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	web, err := testweb.Start(testweb.Config{Hosts: 4, PagesPerHost: 60, PageSize: 4 << 10, Seed: 7,
		Latency: 3 * time.Millisecond, Jitter: 2 * time.Millisecond, Features: testweb.Clean()})
	if err != nil {
		t.Fatal(err)
	}
	defer web.Close()
	dir := filepath.Join(t.TempDir(), "state")
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 9))

	kills, runs := 0, 0
	const minKills = 6
	for {
		var args []string
		if runs == 0 || !crawler.Exists(dir) { // a kill during start leaves nothing to resume
			args = append([]string{"crawl"}, crawlArgs(web, dir)...)
			args = append(args, web.Seeds()...)
		} else {
			args = append([]string{"resume"}, crawlArgs(web, dir)...)
		}
		runs++
		cmd, out := child(t, args...)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var kill <-chan time.Time
		if kills < minKills {
			kill = time.After(time.Duration(20+rng.IntN(300)) * time.Millisecond)
		}
		select {
		case err := <-done:
			if code := exitCode(err); code != 0 {
				t.Fatalf("run %d exited %d:\n%s", runs, code, out)
			}
			if kills < minKills {
				continue // finished before the kill; fine, resume is a no-op run
			}
		case <-kill:
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
			kills++
			continue
		case <-time.After(60 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("run %d hung:\n%s", runs, out)
		}
		break
	}
	st, err := crawler.ReadStatus(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != crawler.StateFinished {
		t.Fatalf("final state %q", st.State)
	}
	rep := web.Report()
	expected := web.Expected()
	// Duplicates are allowed only for URLs in flight at a kill.
	for _, p := range rep.Check(expected, 2, 0, 0) {
		if !bytes.HasPrefix([]byte(p), []byte("duplicate")) {
			t.Errorf("judge: %s", p)
		}
	}
	// A URL is refetched only if it was leased but not committed at a kill:
	// on the wire, or fetched and waiting in the parse/commit stages. The
	// pipeline admits at most concurrency + 4×GOMAXPROCS leases at once.
	perKill := childConcurrency + 4*runtime.GOMAXPROCS(0)
	if len(rep.Duplicates) > kills*perKill {
		t.Errorf("%d duplicate fetches after %d kills: more than were leased (≤ %d each)", len(rep.Duplicates), kills, perKill)
	}
	seen := storedOnce(t, dir)
	for u := range expected {
		if seen[u] != 1 {
			t.Errorf("expected %s stored once, stored %d times", u, seen[u])
		}
	}
	if st.Stored != int64(len(seen)) {
		t.Errorf("status says %d stored, the store holds %d", st.Stored, len(seen))
	}
	t.Logf("%d runs, %d kills, %d requests, %d expected, %d duplicate fetches", runs, kills, rep.Requests, len(expected), len(rep.Duplicates))
}

// TestSIGTERMGracefulThenResume: a graceful stop exits 143, prints how to
// resume, and the resumed crawl fetches nothing twice.
func TestSIGTERMGracefulThenResume(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	web, err := testweb.Start(testweb.Config{Hosts: 3, PagesPerHost: 60, PageSize: 4 << 10, Seed: 8,
		Latency: 5 * time.Millisecond, Features: testweb.Clean()})
	if err != nil {
		t.Fatal(err)
	}
	defer web.Close()
	dir := filepath.Join(t.TempDir(), "state")
	args := append(append([]string{"crawl"}, crawlArgs(web, dir)...), web.Seeds()...)
	for i := 0; i < 3; i++ {
		if i > 0 {
			args = append([]string{"resume"}, crawlArgs(web, dir)...)
		}
		cmd, out := child(t, args...)
		time.Sleep(time.Duration(150+100*i) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGTERM)
		err := cmd.Wait()
		code := exitCode(err)
		if code == 0 {
			break // finished before the signal
		}
		if code != exitTerminated {
			t.Fatalf("SIGTERM run exited %d, want %d:\n%s", code, exitTerminated, out)
		}
		if !bytes.Contains(out.Bytes(), []byte("trawl resume --dir "+dir)) {
			t.Fatalf("no resume hint in output:\n%s", out)
		}
	}
	cmd, out := child(t, append([]string{"resume"}, crawlArgs(web, dir)...)...)
	if err := cmd.Wait(); exitCode(err) != 0 {
		t.Fatalf("final resume: %v\n%s", err, out)
	}
	rep := web.Report()
	if probs := rep.Check(web.Expected(), 2, 0, 0); len(probs) > 0 {
		t.Fatalf("after graceful stops: %v", probs)
	}
	storedOnce(t, dir)
}
