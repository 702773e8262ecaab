package main

import (
	"fmt"
	"io"
	"strings"
)

// crawlerRun is one crawler's run: what it used, how it ended, and the
// judge's figures (figures on the test web, siteFigures on a real site).
type crawlerRun[F interface{ pages() int }] struct {
	Crawler string
	Use     usage
	Fig     F
	Err     error
}

// PagesPerSec is judged pages over wall seconds.
func (r crawlerRun[F]) PagesPerSec() float64 { return r.Use.pagesPerSec(r.Fig.pages()) }

// CPUPerPage is CPU milliseconds per judged page.
func (r crawlerRun[F]) CPUPerPage() float64 { return r.Use.cpuMsPerPage(r.Fig.pages()) }

// result is one crawler's run on one profile.
type result struct {
	Profile string
	crawlerRun[figures]
}

// writeTableHead writes the head of a Markdown table of runs: the first
// column (what ran) and the last (its exit) left-aligned, the figures
// between them right-aligned.
func writeTableHead(w io.Writer, cols ...string) {
	io.WriteString(w, "| "+strings.Join(cols, " | ")+" |\n|---|"+strings.Repeat("--:|", len(cols)-2)+"---|\n")
}

// writeTable prints one profile's results as a Markdown table.
func writeTable(w io.Writer, rs []result) {
	writeTableHead(w, "crawler", "pages", "pages/s", "wall s", "CPU s", "CPU ms/page", "peak RSS MiB", "coverage %", "missing", "unexpected", "duplicates", "robots viol.", "nofollow viol.", "trap", "max per-host in-flight", "exit")
	for _, r := range rs {
		f := r.Fig
		fmt.Fprintf(w, "| %s | %d | %.0f | %.2f | %.2f | %.3f | %.1f | %.2f | %d | %d | %d | %d | %d | %d | %d | %s |\n",
			r.Crawler, f.Pages, r.PagesPerSec(), r.Use.Wall.Seconds(), r.Use.CPU.Seconds(), r.CPUPerPage(),
			float64(r.Use.MaxRSS)/(1<<20), f.Coverage, f.Missing, f.Unexpected, f.Duplicates, f.RobotsViol,
			f.Nofollow, f.Trap, f.MaxInFlight, exitCell(r.Err))
	}
}

// verdicts compares trawl's run with the others and with the fixed targets
// and returns one line per target, each saying met or missed and by how much.
func verdicts(p profile, rs []result) []string {
	by := make(map[string]result, len(rs))
	for _, r := range rs {
		by[r.Crawler] = r
	}
	t, ok := by[crawlerTrawl]
	if !ok {
		return nil
	}
	var out []string
	ratio := func(other string, target float64) {
		o, ok := by[other]
		if !ok || o.PagesPerSec() == 0 {
			return
		}
		got := t.PagesPerSec() / o.PagesPerSec()
		line := fmt.Sprintf("trawl/%s pages/s = %.2f (CPU ms/page ratio %.2f)", other, got, safeDiv(t.CPUPerPage(), o.CPUPerPage()))
		if target > 0 {
			line += fmt.Sprintf("; target ≥ %.2f: %s", target, metOrMissed(got >= target, fmt.Sprintf("%+.0f%%", 100*(got/target-1))))
		}
		out = append(out, line)
	}
	ratio(crawlerColly, p.CollyTarget)
	ratio(crawlerCeiling, p.CeilingTarget)
	f := t.Fig
	out = append(out,
		"trawl coverage 100%: "+metOrMissed(f.Missing == 0, fmt.Sprintf("%.2f%%, %d missing", f.Coverage, f.Missing)),
		"trawl zero robots violations: "+metOrMissed(f.RobotsViol == 0, fmt.Sprint(f.RobotsViol)),
		"trawl zero duplicate fetches (retries excluded): "+metOrMissed(f.Duplicates == 0, fmt.Sprint(f.Duplicates)),
		fmt.Sprintf("trawl per-host in-flight ≤ %d: %s", p.PerHost, metOrMissed(f.MaxInFlight <= p.PerHost, fmt.Sprint(f.MaxInFlight))),
		fmt.Sprintf("trawl peak RSS ≤ %d MB: ", p.rssTarget()/1e6)+metOrMissed(t.Use.MaxRSS <= p.rssTarget(), fmt.Sprintf("%.1f MB = %.1f MiB; largest samples: anon %.1f MiB, mapped files %.1f MiB",
			float64(t.Use.MaxRSS)/1e6, float64(t.Use.MaxRSS)/(1<<20), float64(t.Use.MaxAnon)/(1<<20), float64(t.Use.MaxFile)/(1<<20))),
	)
	if t.Err != nil {
		out = append(out, "trawl exit status 0: MISSED ("+firstLine(t.Err.Error())+")")
	}
	return out
}

func metOrMissed(ok bool, detail string) string {
	if ok {
		return "met (" + detail + ")"
	}
	return "MISSED (" + detail + ")"
}

func safeDiv(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
