package main

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"
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
		// Hold the memory for a few of runChild's VmHWM polls (20 ms
		// apart): the crawlers it measures run for seconds.
		time.Sleep(150 * time.Millisecond)
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
	if u.MaxRSS < 64<<20 || u.MaxAnon < 64<<20 {
		t.Errorf("MaxRSS %d, MaxAnon %d bytes, want at least the 64 MiB the child touched", u.MaxRSS, u.MaxAnon)
	}
	if u.MaxFile <= 0 || u.MaxFile >= u.MaxRSS {
		t.Errorf("MaxFile %d bytes, want the binary's mapped pages: above 0, below MaxRSS %d", u.MaxFile, u.MaxRSS)
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
