package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMain lets the test binary act as a child process for runChild.
func TestMain(m *testing.M) {
	switch os.Getenv("BENCH_TEST_CHILD") {
	case "alloc":
		b := make([]byte, 64<<20)
		for i := range b {
			b[i] = byte(i)
		}
		os.Stdout.WriteString("done")
		if os.Getenv("BENCH_TEST_HOLD") == "1" {
			// Hold the memory until the parent closes stdin: it has
			// sampled what it wanted by then.
			io.Copy(io.Discard, os.Stdin)
		}
		os.Exit(int(b[1]) - 1)
	case "fail":
		os.Stderr.WriteString("child says no")
		os.Exit(3)
	}
	os.Exit(m.Run())
}

func TestRunChild(t *testing.T) {
	t.Setenv("BENCH_TEST_CHILD", "alloc")
	u, err := runChild(context.Background(), os.Args[0], nil, io.Discard)
	if err != nil {
		t.Fatalf("runChild: %v", err)
	}
	if string(u.Stdout) != "done" {
		t.Errorf("stdout %q, want done", u.Stdout)
	}
	// The child may exit between two polls (20 ms apart) after touching its
	// memory, so how much the polls saw depends on the machine's load:
	// TestPollRSS checks the figures, this test the plumbing.
	if u.MaxRSS <= 0 {
		t.Errorf("MaxRSS %d, want > 0", u.MaxRSS)
	}
	if u.CPU <= 0 || u.Wall <= 0 {
		t.Errorf("CPU %v wall %v, want both > 0", u.CPU, u.Wall)
	}

	t.Setenv("BENCH_TEST_CHILD", "fail")
	u, err = runChild(context.Background(), os.Args[0], nil, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "child says no") || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("failing child: err %v, want exit status 3 and its stderr", err)
	}
	if u.Wall <= 0 {
		t.Errorf("failing child: wall %v, want it measured anyway", u.Wall)
	}
}

// TestPollRSS samples a child that holds 64 MiB until told to exit: its
// peak and anonymous RSS include them, its file-backed RSS is the binary's.
func TestPollRSS(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "BENCH_TEST_CHILD=alloc", "BENCH_TEST_HOLD=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	buf := make([]byte, 4)
	if _, err := io.ReadFull(stdout, buf); err != nil || string(buf) != "done" {
		t.Fatalf("child said %q, %v; want done", buf, err)
	}
	stop := make(chan struct{})
	close(stop) // one sample: pollRSS reads before it looks at stop
	p := pollRSS(cmd.Process.Pid, stop)
	if p.hwm < 64<<20 || p.anon < 64<<20 {
		t.Errorf("VmHWM %d, RssAnon %d bytes, want at least the 64 MiB the child touched", p.hwm, p.anon)
	}
	if p.file <= 0 || p.file >= p.hwm {
		t.Errorf("RssFile %d bytes, want the binary's mapped pages: above 0, below VmHWM %d", p.file, p.hwm)
	}
}
