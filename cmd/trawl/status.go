package main

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/trawl-crawler/trawl/crawler"
)

// runStatus prints the snapshot the crawl in --dir last published. It never
// opens the frontier, so it works while a crawl runs in another process.
func runStatus(env *cliEnv, args []string) int {
	fs := newCmdFlags("status", "trawl status [--dir DIR] [--json]",
		"Print what the crawl in --dir holds: its state, counters and rates. Works while\nthe crawl runs in another process.")
	dir := fs.String("dir", "./trawl-data", "crawl state `DIR`")
	asJSON := fs.Bool("json", false, "print one JSON object (the same figures, for scripts)")
	frontierURL := fs.String("frontier", "", "show the shared crawl in the Redis at `URL` (all workers) instead of --dir")
	crawlName := fs.String("crawl", "", "with --frontier: the crawl's `NAME` (needed when the Redis holds several)")
	fs.group("Flags", "dir", "json", "frontier", "crawl")
	fs.examples = []string{"trawl status --dir site", "trawl status --dir site --json | jq .done"}
	pos, err := fs.parse(args, env.stdout)
	if err != nil {
		if errors.Is(err, errHelpShown) {
			return exitOK
		}
		env.errorf("%v", err)
		return exitUsage
	}
	if len(pos) > 0 {
		env.errorf("status takes no arguments, got %q (name the crawl with --dir DIR)", pos[0])
		return exitUsage
	}
	if *frontierURL != "" {
		return sharedStatus(env, *frontierURL, *crawlName, *asJSON)
	}
	st, err := crawler.ReadStatus(*dir)
	if errors.Is(err, crawler.ErrNoCrawl) {
		env.errorf("%s", noCrawl(*dir))
		return exitUsage
	}
	if err != nil {
		env.errorf("%v", err)
		return exitFailure
	}
	if *asJSON {
		b, _ := json.Marshal(st)
		fmt.Fprintf(env.stdout, "%s\n", b)
		return exitOK
	}
	printStatus(env.stdout, st, *dir)
	if st.State == crawler.StateInterrupted {
		fmt.Fprintf(env.stdout, "resume with: trawl resume --dir %s\n", *dir)
	}
	return exitOK
}
