package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/trawl-crawler/trawl/crawler"
)

// crawlFlagSet is the flag set of crawl and resume, with the values that
// are not part of fileConfig.
type crawlFlagSet struct {
	*cmdFlags
	configPath string
	fresh      bool
	shared     sharedFlags // --frontier and its companions (shared.go)
}

// crawlFlags defines the flags of `trawl crawl` (resume=false) or `trawl
// resume` over fc, whose current values (defaults, then the YAML file) are
// the flags' defaults.
func crawlFlags(name string, fc *fileConfig, resume bool) *crawlFlagSet {
	synopsis, about := "trawl crawl [flags] SEED...", "Start a new crawl in --dir from seed URLs (http:// or https://)."
	if resume {
		synopsis, about = "trawl resume [flags]", "Continue the unfinished crawl in --dir with its stored seeds and scope;\nlimits, politeness and output settings may change."
	}
	if name == "recrawl" {
		synopsis, about = "trawl recrawl [flags]", "Start a new pass over the crawl in --dir (finished or interrupted): every known URL is\nfetched again with If-None-Match/If-Modified-Since; unchanged pages are stored as references,\nchanged ones as new versions, new links are crawled, 404/410 count as gone.\nAfter a kill, trawl resume continues the pass. Settings as for resume."
	}
	fs := &crawlFlagSet{cmdFlags: newCmdFlags(name, synopsis, about)}
	c := &fc.Config
	fs.StringVar(&fs.configPath, "config", "", "YAML `FILE` of settings (keys as in configs/trawl.yaml; flags override it)")
	fs.StringVar(&fc.Dir, "dir", fc.Dir, "`DIR` that holds the crawl's state (frontier, pages, status)")
	fs.StringVar(&fc.LogLevel, "log-level", fc.LogLevel, "`LEVEL`: debug, info, warn or error")
	fs.StringVar(&fc.LogFormat, "log-format", fc.LogFormat, "`FORMAT` of log lines: text or json")
	fs.StringVar(&fc.Metrics, "metrics", fc.Metrics, "serve Prometheus /metrics and /debug/pprof on `ADDR` (e.g. 127.0.0.1:9090)")
	fs.StringVar(&fc.Progress, "progress", fc.Progress, "live progress line on stdout, `MODE`: auto (when stdout is a terminal), on or off")
	fs.DurationVar(&fc.Heartbeat, "heartbeat", fc.Heartbeat, "without a progress line, log the progress figures every `DURATION` (0 = never)")
	fs.StringVar(&fc.SeedsFile, "seeds-file", fc.SeedsFile, "read seed URLs from `FILE`, one a line (- for stdin)")
	fs.IntVar(&c.MaxDepth, "max-depth", c.MaxDepth, "follow links at most `N` hops from a seed (seed = 0; -1 = unlimited)")
	fs.Int64Var(&c.MaxPages, "max-pages", c.MaxPages, "stop after `N` pages (0 = unlimited; resume --max-pages raises it)")
	fs.StringVar(&c.Scope, "scope", c.Scope, "`SCOPE` of the crawl: host (the seeds' hosts), domain (their registrable domains), seeds-prefix or any")
	fs.Var(stringsFlag{&c.Include}, "include", "only URLs matching `REGEX` (repeatable)")
	fs.Var(stringsFlag{&c.Exclude}, "exclude", "skip URLs matching `REGEX` (repeatable)")
	fs.IntVar(&c.Concurrency, "concurrency", c.Concurrency, "`N` fetches in flight across all hosts")
	fs.IntVar(&c.PerHost, "per-host", c.PerHost, "`N` fetches in flight per host (per domain or IP with --politeness-key)")
	fs.DurationVar(&c.Delay, "delay", c.Delay, "minimum `DURATION` between request starts to one host (or domain, IP: --politeness-key); a robots.txt Crawl-delay raises it")
	fs.StringVar(&c.PolitenessKey, "politeness-key", c.PolitenessKey, "what --per-host, --delay, Crawl-delay and Retry-After count against, `KEY`: host, domain (registrable domain) or ip (address); fixed for the life of a crawl")
	fs.StringVar(&c.UserAgent, "user-agent", c.UserAgent, "User-Agent `STRING`; robots.txt rules are matched against its product token (trawl in trawl/1.0 and in Mozilla/5.0 (compatible; trawl/1.0))")
	fs.DurationVar(&c.Timeout, "timeout", c.Timeout, "give up on one request after `DURATION`")
	fs.Var(sizeFlag{&c.MaxBody}, "max-body", "keep at most `SIZE` of a decoded body (e.g. 10MiB, 500KB)")
	fs.IntVar(&c.Retries, "retries", c.Retries, "retry 5xx, 429/503 and network errors `N` times")
	fs.IntVar(&c.MaxLinksPerPage, "max-links-per-page", c.MaxLinksPerPage, "take at most `N` links from one page; the rest are counted, logged and recorded with the page")
	fs.DurationVar(&c.MaxWait, "max-wait", c.MaxWait, "defer (for trawl resume) a URL or host that would need a wait longer than `DURATION`: a long Retry-After or backoff, or robots.txt still unavailable after --retries")
	fs.StringVar(&c.Proxy, "proxy", c.Proxy, "send requests through the HTTP proxy at `URL` (HTTP_PROXY/HTTPS_PROXY are honoured too)")
	fs.BoolVar(&c.IgnoreRobots, "ignore-robots", c.IgnoreRobots, "do not fetch or obey robots.txt")
	fs.BoolVar(&c.AllowPrivate, "allow-private", c.AllowPrivate, "allow loopback, private and link-local addresses")
	fs.BoolVar(&c.FollowNofollow, "follow-nofollow", c.FollowNofollow, "follow rel=nofollow links and pages marked nofollow")
	fs.BoolVar(&c.Sitemaps, "sitemaps", c.Sitemaps, "also crawl the URLs each host's sitemaps list (robots.txt Sitemap: lines, /sitemap.xml), at depth 0 like seeds")
	if !resume {
		fs.BoolVar(&fs.fresh, "fresh", false, "discard the crawl already in --dir and start over")
	}
	fs.group("Scope (fixed for the life of a crawl)", "seeds-file", "scope", "max-depth", "include", "exclude", "follow-nofollow", "sitemaps", "ignore-robots", "user-agent")
	fs.group("Politeness", "delay", "per-host", "politeness-key", "concurrency")
	fs.shared.define(fs)
	fs.group("Limits", "max-pages", "max-body", "timeout", "retries", "max-wait", "max-links-per-page")
	requestFlags(fs, c) // defines and files its own groups
	fs.group("Network", "proxy", "allow-private")
	fs.group("State and output", "dir", "fresh", "config", "progress", "heartbeat", "log-level", "log-format", "metrics")
	if resume {
		fs.examples = []string{
			"trawl resume --dir site                   # after Ctrl-C, SIGTERM or kill -9",
			"trawl resume --dir site --max-pages 5000  # continue past a --max-pages stop",
			"trawl resume --dir site --delay 250ms --per-host 4",
		}
	} else {
		fs.examples = []string{
			"trawl crawl --dir site https://example.com/",
			"trawl crawl --dir site --max-depth 2 --max-pages 500 https://example.com/docs/",
			"trawl crawl --dir site --delay 0 --per-host 8 http://localhost:8080/   # your own server",
			"trawl crawl --dir site --seeds-file urls.txt --scope host",
			"trawl crawl --config configs/trawl.yaml https://example.com/",
		}
	}
	return fs
}

// configProblem rewrites a configuration error in the words the user
// used: the flag they typed (--per-host), or the key of their config file.
func configProblem(err error, set map[string]bool, configPath string) string {
	var fe *crawler.FieldError
	if !errors.As(err, &fe) {
		return strings.TrimPrefix(err.Error(), crawler.ErrConfig.Error()+": ")
	}
	if fe.Key == "seeds" {
		return "seed " + fe.Problem
	}
	flagName := "--" + strings.ReplaceAll(fe.Key, "_", "-")
	if configPath != "" && !set[strings.TrimPrefix(flagName, "--")] {
		if fileHasKey(configPath, fe.Key) {
			return fmt.Sprintf("%s (in %s) %s", fe.Key, configPath, fe.Problem)
		}
	}
	return flagName + " " + fe.Problem
}
