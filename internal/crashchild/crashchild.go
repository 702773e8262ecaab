// Package crashchild runs the child half of a crash test: a test binary
// re-executed to do durable work forever, printing one line on stdout per
// piece of work it made durable, until the parent SIGKILLs it at a random
// moment. The parent then reopens what the child wrote and checks that
// every reported line survived. The storage and frontier crash tests share
// this half, so they kill and read their children the same way.
//
// A child must write each line with one write to the pipe (os.Stdout is
// unbuffered; a bufio.Writer flushed per line will do): a line is then seen
// whole or not at all, and a partial last line is one the kill cut.
package crashchild

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Command re-executes the running test binary with only the tests matching
// the -test.run pattern run, and env added to the environment (the variable
// that tells the child test it is the child, and where to work).
func Command(run string, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run="+run, "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// KillAfter starts cmd, reads n lines of its stdout, waits jitter more (so
// the kill lands anywhere in the child's next piece of work, not on a line
// boundary: a random moment, not a wait for anything), SIGKILLs it, and
// returns every complete line the child wrote: the n and any that followed
// before it died. It fails if the child stops before n lines or dies other
// than by SIGKILL, with the child's stderr in the error.
func KillAfter(cmd *exec.Cmd, n int, jitter time.Duration) ([]string, error) {
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("child stdout: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start child: %w", err)
	}
	br := bufio.NewReader(out)
	var lines []string
	for len(lines) < n {
		line, err := br.ReadString('\n')
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			return nil, fmt.Errorf("child stopped after %d of %d lines: %v; stderr: %s", len(lines), n, err, stderr.String())
		}
		lines = append(lines, strings.TrimSuffix(line, "\n"))
	}
	time.Sleep(jitter)
	cmd.Process.Signal(syscall.SIGKILL)
	rest, _ := io.ReadAll(br)
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		return nil, fmt.Errorf("child did not die by SIGKILL: %v; stderr: %s", err, stderr.String())
	}
	more := strings.Split(string(rest), "\n")
	return append(lines, more[:len(more)-1]...), nil // the last is empty or cut by the kill
}
