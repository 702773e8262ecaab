package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// cmdFlags is one subcommand's flag set plus what its help shows: the
// flags in named groups, and examples. The flag package's own usage output
// (sixty lines on any mistake, "-flag" style) is never printed: a mistake
// gets one line (usageError), -h the grouped help on stdout.
type cmdFlags struct {
	*flag.FlagSet
	cmd      string // "crawl"
	synopsis string // "trawl crawl [flags] SEED..."
	about    string
	groups   []flagGroup
	examples []string
}

type flagGroup struct {
	title string
	names []string
}

func newCmdFlags(cmd, synopsis, about string) *cmdFlags {
	fs := flag.NewFlagSet("trawl "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &cmdFlags{FlagSet: fs, cmd: cmd, synopsis: synopsis, about: about}
}

// group files the named flags (already defined) under title in the help.
func (f *cmdFlags) group(title string, names ...string) {
	f.groups = append(f.groups, flagGroup{title, names})
}

// help writes the grouped help. Flags defined but filed in no group are
// listed under "Other" so that none is ever hidden.
func (f *cmdFlags) help(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s\n\n%s\n", f.synopsis, f.about)
	listed := map[string]bool{}
	for _, g := range f.groups {
		fmt.Fprintf(w, "\n%s:\n", g.title)
		for _, n := range g.names {
			if fl := f.Lookup(n); fl != nil {
				writeFlagHelp(w, fl)
				listed[n] = true
			}
		}
	}
	var other []*flag.Flag
	f.VisitAll(func(fl *flag.Flag) {
		if !listed[fl.Name] {
			other = append(other, fl)
		}
	})
	if len(other) > 0 {
		fmt.Fprintf(w, "\nOther:\n")
		for _, fl := range other {
			writeFlagHelp(w, fl)
		}
	}
	if len(f.examples) > 0 {
		fmt.Fprintf(w, "\nExamples:\n")
		for _, e := range f.examples {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
}

func writeFlagHelp(w io.Writer, fl *flag.Flag) {
	arg, usage := flag.UnquoteUsage(fl)
	if arg == "value" {
		arg = "X"
	}
	head := "--" + fl.Name
	if arg != "" {
		head += " " + arg
	}
	if def := fl.DefValue; def != "" && def != "false" && def != "0" && def != "[]" {
		usage += " (default " + def + ")"
	}
	if len(head) <= 24 {
		fmt.Fprintf(w, "  %-24s %s\n", head, usage)
	} else {
		fmt.Fprintf(w, "  %s\n  %-24s %s\n", head, "", usage)
	}
}

// errHelpShown means -h was given and the help was printed: exit 0.
var errHelpShown = errors.New("help shown")

// parse parses args (flags may follow positional arguments). On -h it
// writes the help to stdout and returns errHelpShown; on a mistake it
// returns a one-line error that names the flag as the user typed it, says
// what was wrong and where the help is.
func (f *cmdFlags) parse(args []string, stdout io.Writer) ([]string, error) {
	pos, err := parseInterspersed(f.FlagSet, args)
	if err == nil {
		return pos, nil
	}
	if errors.Is(err, flag.ErrHelp) {
		f.help(stdout)
		return nil, errHelpShown
	}
	return nil, f.explain(err)
}

// explain turns the flag package's error (the only way it reports which
// flag failed) into a message in the CLI's words.
func (f *cmdFlags) explain(err error) error {
	msg := err.Error()
	hint := fmt.Sprintf("(trawl %s --help lists the flags)", f.cmd)
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		name = strings.TrimLeft(name, "-")
		if s := f.suggest(name); s != "" {
			return fmt.Errorf("unknown flag --%s: did you mean --%s? %s", name, s, hint)
		}
		return fmt.Errorf("unknown flag --%s %s", name, hint)
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		return fmt.Errorf("--%s needs a value %s", strings.TrimLeft(name, "-"), hint)
	}
	// invalid value "soon" for flag -delay: parse error
	if rest, ok := strings.CutPrefix(msg, "invalid value "); ok {
		if i := strings.Index(rest, " for flag -"); i >= 0 {
			val := rest[:i]
			name, cause, _ := strings.Cut(rest[i+len(" for flag -"):], ": ")
			return fmt.Errorf("--%s %s: %s", name, val, f.valueProblem(name, cause))
		}
	}
	return fmt.Errorf("%s %s", msg, hint)
}

// valueProblem says what a flag's value should look like, in place of the
// flag package's "parse error".
func (f *cmdFlags) valueProblem(name, cause string) string {
	fl := f.Lookup(name)
	if fl == nil {
		return cause
	}
	g, ok := fl.Value.(flag.Getter)
	if !ok {
		return cause
	}
	switch g.Get().(type) {
	case time.Duration:
		return "not a duration (want e.g. 500ms, 2s, 1m30s)"
	case int, int64, uint, uint64:
		if strings.Contains(cause, "range") {
			return "number out of range"
		}
		return "not a whole number"
	case float64:
		return "not a number"
	case bool:
		return "want true or false"
	}
	return cause
}

// suggest returns the defined flag closest to name, if it is close enough
// to be what the user meant.
func (f *cmdFlags) suggest(name string) string {
	var names []string
	f.VisitAll(func(fl *flag.Flag) { names = append(names, fl.Name) })
	return closest(name, names)
}

// closest returns the candidate nearest to s by edit distance (or one that
// contains s, or that s contains), or "" when none is near.
func closest(s string, candidates []string) string {
	sort.Strings(candidates)
	best, bestD := "", 0
	norm := func(x string) string { return strings.NewReplacer("-", "", "_", "").Replace(strings.ToLower(x)) }
	for _, c := range candidates {
		d := editDistance(norm(s), norm(c))
		if best == "" || d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" {
		return ""
	}
	if bestD <= max(1, len(s)/3) {
		return best
	}
	for _, c := range candidates {
		if len(s) >= 3 && (strings.Contains(norm(c), norm(s)) || strings.Contains(norm(s), norm(c))) {
			return c
		}
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// parseInterspersed parses flags that may come before or after positional
// arguments (trawl crawl URL --max-depth 2).
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
