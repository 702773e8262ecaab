package redisfrontier

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	// ErrLost reports that the connection to Redis failed: the worker must
	// stop, reconnect, truncate its page store to its committed checkpoint
	// and rejoin (a new incarnation). Nothing committed is lost.
	ErrLost = errors.New("redis frontier: connection to Redis lost")
	// ErrFenced reports that this worker's incarnation missed its heartbeat
	// deadline: its leases went (or are about to go) back to their queues,
	// so it must not start another request or commit another completion.
	// The worker rejoins as a new incarnation.
	ErrFenced = errors.New("redis frontier: this worker's leases were taken back (heartbeat deadline missed)")
	// ErrEvicting reports a Redis whose maxmemory-policy may evict keys:
	// an evicted seen-set or queue key would lose or repeat pages.
	ErrEvicting = errors.New("redis frontier: Redis may evict keys")
)

// Rejoinable reports whether err means the worker should reconnect and
// rejoin rather than exit: a lost connection or a fenced incarnation.
func Rejoinable(err error) bool { return errors.Is(err, ErrLost) || errors.Is(err, ErrFenced) }

// Redacted is the Redis URL without its password, for messages.
func Redacted(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable Redis URL)"
	}
	return u.Redacted()
}

// Dial connects to the Redis at rawURL (redis://[user:pass@]HOST:PORT/DB),
// checks that it answers and cannot evict keys, and logs a warning when its
// AOF is off or not fsynced on every write. Commands are never retried by
// the client: a command whose reply was lost may have run, and only the
// frontier's rejoin knows how to recover from that.
func Dial(ctx context.Context, rawURL string, log *slog.Logger) (*redis.Client, error) {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("frontier %s: %w", Redacted(rawURL), err)
	}
	opt.MaxRetries = -1
	opt.DialTimeout = 5 * time.Second
	opt.ReadTimeout = 10 * time.Second
	opt.WriteTimeout = 10 * time.Second
	opt.ContextTimeoutEnabled = true
	opt.Protocol = 2
	opt.DisableIdentity = true
	cl := redis.NewClient(opt)
	if err := cl.Ping(ctx).Err(); err != nil {
		cl.Close()
		return nil, wrapErr(rawURL, "connect", err)
	}
	cfg, err := cl.ConfigGet(ctx, "*").Result()
	if err != nil {
		cl.Close()
		return nil, fmt.Errorf("frontier %s: read its configuration (CONFIG GET, needed to check maxmemory-policy): %w", Redacted(rawURL), err)
	}
	if p := cfg["maxmemory-policy"]; strings.HasPrefix(p, "allkeys-") {
		cl.Close()
		return nil, fmt.Errorf("frontier %s: maxmemory-policy is %s: %w; set it to noeviction (redis-cli CONFIG SET maxmemory-policy noeviction, and in redis.conf)",
			Redacted(rawURL), p, ErrEvicting)
	}
	if log != nil {
		if cfg["appendonly"] != "yes" {
			log.Warn("Redis AOF is off: a Redis crash loses the crawl's recent state (and with no RDB snapshot, all of it); see README, Crawling from several machines",
				"frontier", Redacted(rawURL))
		} else if f := cfg["appendfsync"]; f != "always" {
			log.Warn("Redis appendfsync is not always: a Redis crash may lose up to a second of commits, which are fetched again", "frontier", Redacted(rawURL), "appendfsync", f)
		}
	}
	return cl, nil
}

// fsyncAlways reports whether Redis logs every write to its AOF and
// fsyncs it before answering: then nothing it acknowledged is lost by a
// crash or restart (the seen cache relies on it: seencache.go).
func fsyncAlways(ctx context.Context, cl *redis.Client) (bool, error) {
	cfg, err := cl.ConfigGet(ctx, "append*").Result()
	if err != nil {
		return false, err
	}
	return cfg["appendonly"] == "yes" && cfg["appendfsync"] == "always", nil
}

// wrapErr names the server and the step. A network failure, a timeout or a
// Redis that is loading its AOF after a restart is ErrLost (rejoin); an
// error reply (out of memory, a script error) is not: rejoining would meet
// it again.
func wrapErr(rawURL, what string, err error) error {
	var re redis.Error
	if errors.As(err, &re) {
		msg := re.Error()
		if !strings.HasPrefix(msg, "LOADING") && !strings.HasPrefix(msg, "BUSY") && !strings.HasPrefix(msg, "MASTERDOWN") && !strings.HasPrefix(msg, "TRYAGAIN") {
			return fmt.Errorf("frontier %s: %s: %w", Redacted(rawURL), what, err)
		}
	}
	return fmt.Errorf("%w: %s: %s: %v", ErrLost, Redacted(rawURL), what, err)
}
