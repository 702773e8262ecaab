package main

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
)

// binaries are the three crawlers built for this run.
type binaries struct {
	Trawl, Colly, Ceiling string
}

// buildAll builds the crawlers into dir with the go command.
func buildAll(ctx context.Context, goCmd, dir string, stderr io.Writer) (binaries, error) {
	b := binaries{
		Trawl:   filepath.Join(dir, "trawl"),
		Colly:   filepath.Join(dir, "collycrawl"),
		Ceiling: filepath.Join(dir, "ceiling"),
	}
	for _, t := range []struct{ out, pkg string }{
		{b.Trawl, "./cmd/trawl"},
		{b.Colly, "./internal/bench/collycrawl"},
		{b.Ceiling, "./internal/bench/ceiling"},
	} {
		cmd := exec.CommandContext(ctx, goCmd, "build", "-o", t.out, t.pkg)
		cmd.Stdout, cmd.Stderr = stderr, stderr
		if err := cmd.Run(); err != nil {
			return b, fmt.Errorf("go build %s: %w", t.pkg, err)
		}
	}
	return b, nil
}
