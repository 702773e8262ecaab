package main

import (
	"fmt"
	"io"

	"github.com/trawl-crawler/trawl/crawler"
)

// passLine describes a recrawl pass: "pass 2: 5 changed, 93 unchanged, 3
// new, 2 gone" ("" for the first crawl, pass 0).
func passLine(st crawler.Stats) string {
	if st.Pass == 0 {
		return ""
	}
	c := st.Changes
	return fmt.Sprintf("pass %d: %d changed, %d unchanged, %d new, %d gone", st.Pass,
		c[crawler.ChangeChanged], c[crawler.ChangeUnchanged], c[crawler.ChangeNew], c[crawler.ChangeGone])
}

// writePass prints the pass line of a status, if any.
func writePass(w io.Writer, st crawler.Stats) {
	if l := passLine(st); l != "" {
		fmt.Fprintf(w, "%-13s %s\n", "recrawl:", l)
	}
}
