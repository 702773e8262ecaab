package main

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/internal/testweb"
	"github.com/trawl-crawler/trawl/internal/torture"
	"github.com/trawl-crawler/trawl/internal/waitfor"
	"github.com/trawl-crawler/trawl/storage"
)

const childConcurrency = 4

// child starts this test binary as a trawl process.
func child(t *testing.T, args ...string) *childProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), "TRAWL_CLI_CHILD=1")
	p := &childProc{cmd: cmd, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &p.out, &p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	return p
}

// childProc is a running child with its combined output.
type childProc struct {
	cmd  *exec.Cmd
	out  waitfor.Output
	done chan struct{} // closed when the process has exited and err is set
	err  error
}

// wait waits for the child to exit and returns its exit code. A child
// still running shortly before the test binary's deadline is killed and
// the test fails with its output (rather than the binary panicking with
// the child left behind).
func (p *childProc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
		return torture.ExitCode(p.err)
	case <-beforeDeadline(t):
		p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("child %v hung:\n%s", p.cmd.Args[2:], p.out.String())
		return -1
	}
}

// beforeDeadline fires 30 s before the test binary's -timeout (never if
// there is none).
func beforeDeadline(t *testing.T) <-chan time.Time {
	d, ok := t.Deadline()
	if !ok {
		return nil
	}
	return time.After(time.Until(d) - 30*time.Second)
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

	// Each run is killed right after a random number of requests (the web
	// holds the next one, so the kill lands mid-crawl whatever the
	// machine's speed). minKills × maxGap is less than the web's request
	// count, so every planned kill lands before the crawl can finish.
	kills, runs := 0, 0
	const minKills, maxGap = 6, 30
	for {
		var args []string
		if runs == 0 || !crawler.Exists(dir) { // a kill during start leaves nothing to resume
			args = append([]string{"crawl"}, crawlArgs(web, dir)...)
			args = append(args, web.Seeds()...)
		} else {
			args = append([]string{"resume"}, crawlArgs(web, dir)...)
		}
		runs++
		if kills == minKills {
			if code := child(t, args...).wait(t); code != 0 {
				t.Fatalf("final run %d exited %d", runs, code)
			}
			break
		}
		hold := web.HoldAfter(int64(1 + rng.IntN(maxGap)))
		p := child(t, args...)
		select {
		case <-hold.Reached():
			p.cmd.Process.Signal(syscall.SIGKILL)
			p.wait(t)
			hold.Release()
			kills++
		case <-p.done:
			t.Fatalf("run %d exited %d before its kill (%d requests so far):\n%s", runs, torture.ExitCode(p.err), web.Requests(), p.out.String())
		case <-beforeDeadline(t):
			p.cmd.Process.Kill()
			t.Fatalf("run %d hung:\n%s", runs, p.out.String())
		}
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
	// Each stop comes after a set number of requests, with the next request
	// held: the crawl is running (the child installs its signal handler
	// before it sends a request) and cannot finish before the signal. The
	// held requests are released once the child says it is stopping, and
	// must not keep it from exiting 143.
	for i := 0; i < 3; i++ {
		if i > 0 {
			args = append([]string{"resume"}, crawlArgs(web, dir)...)
		}
		hold := web.HoldAfter(int64(20 + 30*i))
		p := child(t, args...)
		select {
		case <-hold.Reached():
		case <-p.done:
			t.Fatalf("run %d exited %d before the signal:\n%s", i, torture.ExitCode(p.err), p.out.String())
		}
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.out.Said("stopping after in-flight fetches"):
		case <-p.done:
		}
		hold.Release()
		if code := p.wait(t); code != exitTerminated {
			t.Fatalf("SIGTERM run exited %d, want %d:\n%s", code, exitTerminated, p.out.String())
		}
		if !strings.Contains(p.out.String(), "trawl resume --dir "+dir) {
			t.Fatalf("no resume hint in output:\n%s", p.out.String())
		}
	}
	p := child(t, append([]string{"resume"}, crawlArgs(web, dir)...)...)
	if code := p.wait(t); code != 0 {
		t.Fatalf("final resume exited %d:\n%s", code, p.out.String())
	}
	rep := web.Report()
	if probs := rep.Check(web.Expected(), 2, 0, 0); len(probs) > 0 {
		t.Fatalf("after graceful stops: %v", probs)
	}
	storedOnce(t, dir)
}
