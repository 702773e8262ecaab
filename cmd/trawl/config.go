package main

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/trawl-crawler/trawl/crawler"
)

// fileConfig is the YAML file: the crawl's Config plus CLI-only settings.
type fileConfig struct {
	crawler.Config `yaml:",inline"`
	Dir            string `yaml:"dir"`
	SeedsFile      string `yaml:"seeds_file"`
	LogLevel       string `yaml:"log_level"`
	LogFormat      string `yaml:"log_format"`
	Metrics        string `yaml:"metrics"`
	Progress       string `yaml:"progress"`
	// Heartbeat is how often a crawl without a progress line (stdout not a
	// terminal, or --progress off) logs the progress figures; 0 = never.
	Heartbeat time.Duration `yaml:"heartbeat"`
}

func defaultFileConfig() fileConfig {
	return fileConfig{Config: crawler.Default(), Dir: "./trawl-data", LogLevel: "info", LogFormat: "text", Progress: "auto", Heartbeat: 30 * time.Second}
}

// preScanConfig finds --config before flags are parsed, so the file fills
// the struct first and flags given on the command line override it.
func preScanConfig(args []string) string {
	for i, a := range args {
		switch {
		case a == "--":
			return ""
		case a == "--config" || a == "-config":
			if i+1 < len(args) {
				return args[i+1]
			}
		case strings.HasPrefix(a, "--config="):
			return strings.TrimPrefix(a, "--config=")
		case strings.HasPrefix(a, "-config="):
			return strings.TrimPrefix(a, "-config=")
		}
	}
	return ""
}

// stringsFlag is a repeatable string flag.
type stringsFlag struct{ p *[]string }

func (s stringsFlag) String() string {
	if s.p == nil {
		return ""
	}
	return strings.Join(*s.p, ",")
}
func (s stringsFlag) Set(v string) error { *s.p = append(*s.p, v); return nil }

// intsFlag is a repeatable integer flag.
type intsFlag struct{ p *[]int }

func (s intsFlag) String() string { return "" }
func (s intsFlag) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil {
			return fmt.Errorf("%q is not a number", part)
		}
		*s.p = append(*s.p, n)
	}
	return nil
}

// readSeeds reads one URL a line ("-" = stdin); blank lines and # comments skipped.
func readSeeds(path string, stdin io.Reader) ([]string, error) {
	var r io.Reader
	if path == "-" {
		r = stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("seeds file: %w", err)
		}
		defer f.Close()
		r = f
	}
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("seeds file %s: %w", path, err)
	}
	return out, nil
}

// newLogger builds the slog logger for --log-level and --log-format.
func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	switch strings.ToLower(level) {
	case "debug":
		lv = slog.LevelDebug
	case "info", "":
		lv = slog.LevelInfo
	case "warn", "warning":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	default:
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("--log-format %q: want text or json", format)
	}
}
