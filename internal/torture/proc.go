package torture

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/trawl-crawler/trawl/internal/waitfor"
)

// Build compiles the trawl command (module-relative package ./cmd/trawl,
// found from moduleRoot) into dir and returns the binary's path.
func Build(ctx context.Context, moduleRoot, dir string) (string, error) {
	bin := filepath.Join(dir, "trawl")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/trawl")
	cmd.Dir = moduleRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build trawl: %w\n%s", err, out)
	}
	return bin, nil
}

// ModuleRoot walks up from dir to the directory holding go.mod.
func ModuleRoot(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("find go.mod above %s: not found", dir)
		}
	}
}

// Proc is one running trawl process with its combined output captured.
type Proc struct {
	cmd   *exec.Cmd
	out   waitfor.Output
	done  chan struct{}
	err   error
	Start time.Time // when the process was started
}

// Run starts bin with args and returns at once.
func Run(bin string, args ...string) (*Proc, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	return StartCmd(cmd)
}

// StartCmd starts cmd with its stdout and stderr captured and returns at
// once. cmd/trawl's kill tests start their re-executed test binary through
// it, so they and the torture tests start, signal and wait for a trawl
// process one way.
func StartCmd(cmd *exec.Cmd) (*Proc, error) {
	p := &Proc{cmd: cmd, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	p.Start = time.Now()
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	return p, nil
}

// Done is closed when the process has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Signal sends sig to the process (a no-op once it has exited).
func (p *Proc) Signal(sig syscall.Signal) {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Signal(sig)
	}
}

// Wait waits up to timeout for the process to exit and returns its exit
// code: -1 for death by signal. On timeout it kills the process and returns
// an error.
func (p *Proc) Wait(timeout time.Duration) (int, error) {
	select {
	case <-p.done: // first, so an exited process is never reported as timed out
		return ExitCode(p.err), nil
	default:
	}
	select {
	case <-p.done:
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		return -1, fmt.Errorf("%s did not exit within %v", p.cmd.Args, timeout)
	}
	return ExitCode(p.err), nil
}

// Kill sends SIGKILL and waits for the process to be gone.
func (p *Proc) Kill() {
	p.Signal(syscall.SIGKILL)
	<-p.done
}

// Stop is trawl's graceful stop: it sends SIGTERM and returns once the
// process says it is stopping after its in-flight fetches (its handler
// has run), or has exited. A test holding requests at its test web
// releases them after Stop, so the held fetches cannot keep trawl from
// exiting; then Wait gives the exit code (143).
func (p *Proc) Stop() {
	p.Signal(syscall.SIGTERM)
	select {
	case <-p.Said("stopping after in-flight fetches"):
	case <-p.done:
	}
}

// KillWhen SIGKILLs the process when kill fires, unless it exits first
// (a nil kill never fires), and reports whether it killed it. A process
// still running after hang is killed too, and returned as an error with
// its output.
func (p *Proc) KillWhen(kill <-chan struct{}, hang time.Duration) (bool, error) {
	select {
	case <-kill:
		p.Kill()
		return true, nil
	case <-p.done:
		return false, nil
	case <-time.After(hang):
		p.Kill()
		return false, fmt.Errorf("%s still running after %v:\n%s", p.cmd.Args, hang, p.Output())
	}
}

// Output returns what the process has written to stdout and stderr so far.
func (p *Proc) Output() string { return p.out.String() }

// ExitCode maps an exec Wait error to an exit code: 0 for nil, the code for
// a normal exit, -1 for death by signal or a failure to run.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// Said returns a channel closed once the process's output contains text,
// so a test acts on what the process says rather than on how long it ran.
func (p *Proc) Said(text string) <-chan struct{} { return p.out.Said(text) }
