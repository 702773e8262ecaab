// Command demo runs a real trawl crawl end to end against the bundled test
// web on 127.0.0.1: crawl, status, export to all three formats, and the
// test web's own verdict on politeness. It stops by itself. `make demo`
// builds bin/trawl and runs this.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/trawl-crawler/trawl/internal/testweb"
)

func main() {
	if err := run(os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(stdout, stderr io.Writer) error {
	bin := flag.String("trawl", "bin/trawl", "the trawl binary to run")
	out := flag.String("out", "demo-out", "where the crawl state and exports go")
	hosts := flag.Int("hosts", 8, "hosts in the test web")
	pages := flag.Int("pages", 60, "pages per host")
	flag.Parse()

	features := testweb.Hostile()
	features.Huge = false // a 50 MB page makes the demo slow, not more convincing
	web, err := testweb.Start(testweb.Config{Hosts: *hosts, PagesPerHost: *pages, Seed: 42,
		Latency: 5 * time.Millisecond, Jitter: 4 * time.Millisecond, Features: features})
	if err != nil {
		return err
	}
	defer web.Close()
	fmt.Fprintf(stdout, "== test web: %d hosts × %d pages behind proxy %s (127.0.0.1 only)\n", *hosts, *pages, web.ProxyURL())

	state := filepath.Join(*out, "state")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	trawl := func(args ...string) error {
		fmt.Fprintf(stdout, "\n$ trawl %s\n", strings.Join(args, " "))
		cmd := exec.CommandContext(ctx, *bin, args...)
		cmd.Stdout, cmd.Stderr = stdout, stderr
		return cmd.Run()
	}
	crawlArgs := []string{"crawl", "--fresh", "--dir", state, "--proxy", web.ProxyURL(), "--allow-private",
		"--delay", "0", "--per-host", "2", "--max-depth", "12", "--retries", "2"}
	crawlArgs = append(crawlArgs, web.Seeds()...)
	if err := trawl(crawlArgs...); err != nil {
		return fmt.Errorf("crawl: %w", err)
	}
	if err := trawl("status", "--dir", state); err != nil {
		return fmt.Errorf("status: %w", err)
	}
	exports := []struct{ format, dest string }{
		{"dir", filepath.Join(*out, "mirror")},
		{"jsonl", filepath.Join(*out, "pages.jsonl")},
		{"warc", filepath.Join(*out, "warc")},
	}
	for _, e := range exports {
		if err := trawl("export", "--dir", state, "--format", e.format, "--out", e.dest); err != nil {
			return fmt.Errorf("export %s: %w", e.format, err)
		}
	}

	rep := web.Report()
	problems := rep.Check(web.Expected(), 2, 0, 40)
	fmt.Fprintf(stdout, "\n== the test web's verdict: %d requests, %d expected URLs, %d robots.txt fetches, %d trap pages\n",
		rep.Requests, len(web.Expected()), len(rep.RobotsRequests), rep.TrapRequests)
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(stdout, "  problem:", p)
		}
		return fmt.Errorf("%d politeness/coverage problems", len(problems))
	}
	fmt.Fprintln(stdout, "  every expected URL fetched once, no robots or nofollow violations, per-host in-flight ≤ 2")
	fmt.Fprintf(stdout, "\n== outputs\n  crawl state: %s\n", state)
	for _, e := range exports {
		fmt.Fprintf(stdout, "  %-5s export: %s\n", e.format, e.dest)
	}
	return nil
}
