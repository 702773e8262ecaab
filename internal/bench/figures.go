package main

import (
	"strings"

	"github.com/trawl-crawler/trawl/internal/testweb"
)

// figures are the judge's view of one run.
type figures struct {
	Pages       int     // expected 2xx HTML URLs answered 2xx
	Coverage    float64 // percent of Expected requested at least once
	Missing     int     // expected URLs never requested
	Unexpected  int     // URLs requested that Expected does not hold (trap excluded)
	Duplicates  int
	RobotsViol  int
	Nofollow    int
	Trap        int
	MaxInFlight int // over all hosts
	Requests    int64
	Bytes       int64
}

func (f figures) pages() int { return f.Pages }

// summarise reduces a judge report to figures against expected.
func summarise(rep testweb.Report, expected map[string]int) figures {
	f := figures{
		Duplicates: len(rep.Duplicates), RobotsViol: len(rep.RobotsViolations),
		Nofollow: len(rep.NofollowViolations), Trap: rep.TrapRequests,
		Requests: rep.Requests, Bytes: rep.Bytes,
	}
	for u, want := range expected {
		if rep.PerURL[u] == 0 {
			f.Missing++
			continue
		}
		if got := rep.Final[u]; want/100 == 2 && got/100 == 2 && isPageURL(u) {
			f.Pages++
		}
	}
	if len(expected) > 0 {
		f.Coverage = 100 * float64(len(expected)-f.Missing) / float64(len(expected))
	}
	for u := range rep.PerURL {
		if _, ok := expected[u]; !ok && !strings.Contains(u, "/cal/") {
			f.Unexpected++
		}
	}
	for _, n := range rep.MaxInFlight {
		f.MaxInFlight = max(f.MaxInFlight, n)
	}
	return f
}

// isPageURL reports whether canonical URL u is one of the test web's HTML
// pages rather than a binary (/files/N.bin, /img/N.png).
func isPageURL(u string) bool {
	rest, ok := strings.CutPrefix(u, "http://")
	if !ok {
		rest, _ = strings.CutPrefix(u, "https://")
	}
	_, path, _ := strings.Cut(rest, "/")
	return !strings.HasPrefix(path, "files/") && !strings.HasPrefix(path, "img/")
}
