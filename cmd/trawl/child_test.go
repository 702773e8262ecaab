package main

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/internal/torture"
)

// childConcurrency is the --concurrency of the kill tests' crawls: small,
// so that a bound of torture.LeasesPerKill(childConcurrency) refetches per
// kill means something.
const childConcurrency = 4

// childProc is this test binary running as a trawl process (see
// TestMain), with its combined output: the torture suite's process type,
// so the kill tests here start, signal and wait for trawl as it does.
type childProc struct{ *torture.Proc }

// child starts this test binary as a trawl process.
func child(t *testing.T, args ...string) childProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), "TRAWL_CLI_CHILD=1")
	p, err := torture.StartCmd(cmd)
	if err != nil {
		t.Fatal(err)
	}
	return childProc{p}
}

// wait waits for the child to exit and returns its exit code. A child
// still running shortly before the test binary's deadline is killed and
// the test fails with its output (rather than the binary panicking with
// the child left behind).
func (p childProc) wait(t *testing.T) int {
	t.Helper()
	code, err := p.Wait(untilDeadline(t))
	if err != nil {
		t.Fatalf("child hung: %v\n%s", err, p.Output())
	}
	return code
}

// killWhen SIGKILLs the child when kill fires, unless it exits first, and
// reports whether it killed it; a child that hangs fails the test as in
// wait.
func (p childProc) killWhen(t *testing.T, kill <-chan struct{}) bool {
	t.Helper()
	killed, err := p.KillWhen(kill, untilDeadline(t))
	if err != nil {
		t.Fatalf("child hung: %v", err)
	}
	return killed
}

// untilDeadline is the time left until 30 s before the test binary's
// -timeout (a day if there is none).
func untilDeadline(t *testing.T) time.Duration {
	d, ok := t.Deadline()
	if !ok {
		return 24 * time.Hour
	}
	return time.Until(d) - 30*time.Second
}

// beforeDeadline fires 30 s before the test binary's -timeout (never if
// there is none).
func beforeDeadline(t *testing.T) <-chan time.Time {
	if _, ok := t.Deadline(); !ok {
		return nil
	}
	return time.After(untilDeadline(t))
}
