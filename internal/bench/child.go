package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// usage is a child process measured from outside.
type usage struct {
	Wall   time.Duration
	CPU    time.Duration // user + sys
	MaxRSS int64         // bytes
	// MaxAnon and MaxFile are the largest RssAnon (heap, stacks, anonymous
	// mappings) and RssFile (mapped file pages) sampled; they need not
	// peak together.
	MaxAnon, MaxFile int64
	Stdout           []byte
}

// pagesPerSec is pages over wall seconds: the one definition of a run's
// throughput, whichever table or JSON file shows it.
func (u usage) pagesPerSec(pages int) float64 {
	if u.Wall <= 0 {
		return 0
	}
	return float64(pages) / u.Wall.Seconds()
}

// cpuMsPerPage is CPU milliseconds per page.
func (u usage) cpuMsPerPage(pages int) float64 {
	if pages == 0 {
		return 0
	}
	return float64(u.CPU.Microseconds()) / 1000 / float64(pages)
}

// runChild runs bin with args to completion and measures it. A non-zero
// exit is an error that carries the child's stderr tail; the usage is
// still filled in.
func runChild(ctx context.Context, bin string, args []string, stderr io.Writer) (usage, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errBuf bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = io.MultiWriter(&errBuf, stderr)
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return usage{}, fmt.Errorf("run %s: %w", bin, err)
	}
	// Peak RSS comes from the child's own VmHWM, polled: rusage's ru_maxrss
	// for a child can carry the parent's high-water mark from before exec
	// (a driver holding a 1M-page test web reported ~1.9 GB for every child).
	peaks := make(chan rssPeaks, 1)
	stop := make(chan struct{})
	go func() { peaks <- pollRSS(cmd.Process.Pid, stop) }()
	err := cmd.Wait()
	close(stop)
	p := <-peaks
	u := usage{Wall: time.Since(start), Stdout: out.Bytes(), MaxRSS: p.hwm, MaxAnon: p.anon, MaxFile: p.file}
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			u.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
			if u.MaxRSS == 0 { // no /proc: fall back to rusage
				u.MaxRSS = ru.Maxrss << 10 // KiB on Linux
			}
		}
	}
	if err != nil {
		tail := errBuf.Bytes()
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return u, fmt.Errorf("run %s: %w: %s", bin, err, bytes.TrimSpace(tail))
	}
	return u, nil
}

// rssPeaks are the maxima pollRSS saw, in bytes.
type rssPeaks struct{ hwm, anon, file int64 }

// pollRSS reads /proc/PID/status every 20 ms until stop: VmHWM (the
// process's own peak RSS, which only grows), and RssAnon and RssFile (what
// the RSS is made of, sampled).
func pollRSS(pid int, stop <-chan struct{}) rssPeaks {
	path := fmt.Sprintf("/proc/%d/status", pid)
	var p rssPeaks
	fields := map[string]*int64{"VmHWM:": &p.hwm, "RssAnon:": &p.anon, "RssFile:": &p.file}
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		if b, err := os.ReadFile(path); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				name, v, ok := strings.Cut(line, "\t")
				if dst := fields[name]; ok && dst != nil {
					if kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64); err == nil && kb<<10 > *dst {
						*dst = kb << 10
					}
				}
			}
		}
		select {
		case <-stop:
			return p
		case <-t.C:
		}
	}
}
