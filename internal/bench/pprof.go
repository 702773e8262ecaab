package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// freeLoopbackAddr returns a 127.0.0.1 address whose port was free a moment
// ago, for trawl's --metrics listener.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// captureCPU waits delay, then saves a CPU profile of seconds from the
// pprof endpoint at addr into path. It retries the connection briefly while
// the child starts its metrics server.
func captureCPU(ctx context.Context, addr string, delay time.Duration, seconds int, path string) error {
	select {
	case <-time.After(delay):
	case <-ctx.Done():
		return ctx.Err()
	}
	url := "http://" + addr + "/debug/pprof/profile?seconds=" + strconv.Itoa(seconds)
	client := &http.Client{Timeout: time.Duration(seconds+15) * time.Second}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("cpu profile request: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("fetch cpu profile from %s: %w", addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetch cpu profile from %s: status %d", addr, resp.StatusCode)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("save cpu profile: %w", err)
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("save cpu profile: %w", err)
	}
	return f.Close()
}

// pprofTop returns `go tool pprof -top` for the profile, flat and cumulative.
func pprofTop(ctx context.Context, goCmd, bin, prof string, n int) (string, error) {
	var out []byte
	for _, mode := range []string{"-top", "-top -cum"} {
		args := []string{"tool", "pprof", "-nodecount=" + strconv.Itoa(n)}
		if mode == "-top -cum" {
			args = append(args, "-top", "-cum")
		} else {
			args = append(args, "-top")
		}
		b, err := exec.CommandContext(ctx, goCmd, append(args, bin, prof)...).CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("go tool pprof %s: %w: %s", mode, err, b)
		}
		out = append(append(out, b...), '\n')
	}
	return string(out), nil
}
