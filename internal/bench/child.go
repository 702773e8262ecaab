package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"syscall"
	"time"
)

// usage is a child process measured from outside.
type usage struct {
	Wall   time.Duration
	CPU    time.Duration // user + sys
	MaxRSS int64         // bytes
	Stdout []byte
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
	err := cmd.Run()
	u := usage{Wall: time.Since(start), Stdout: out.Bytes()}
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			u.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
			u.MaxRSS = ru.Maxrss << 10 // KiB on Linux
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
