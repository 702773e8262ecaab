package redisfrontier

import (
	"context"
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/trawl-crawler/trawl/internal/redistest"
)

// BenchmarkRedisFloor measures the floor under the real scripts: Redis's
// CPU per page for the least a shared frontier must do per page, with
// nothing else. A lease takes the URL from its host's queue, counts it in
// flight for its host and records it (for the sweep); a completion deletes
// the lease, frees the host's slot, checks the page's one new link against
// the seen set and queues it, and counts the page (fast-clean: every page
// is found once, and the worker's seen cache keeps known links at home).
// Three forms, each batch in one round trip:
//
//   - lua: one script per batch, the hosts named by the caller (no choice
//     of host, no per-host limit);
//   - polite: one script per batch that also keeps the per-host limit
//     global, at the least it can: the earliest host of a ready set, its
//     in-flight count read and written, the ready set kept (a host at its
//     limit of 2 leaves it, a completion puts it back);
//   - multi: lua's commands as MULTI/EXEC from the client (atomic writes,
//     no read-then-decide): the commands without the interpreter. Each
//     batch takes one round trip more than lua's (the lease's records
//     and the completion's seen check are read before the MULTI that
//     writes), so it is not cheaper on round trips.
//
// None has a politeness clock, robots gate, retry queue, fencing check,
// checkpoint, batch order or stats reply: the real scripts (scripts.go)
// do all of that on top. Batch sizes: as a --concurrency 16 worker sends
// them on fast-clean (4 to 5 leases per lease round trip, ~10 completions
// per commit), and twice and four times that. AOF appendfsync always, as
// documented; Redis CPU from INFO (user + sys, fsyncs included).
//
//	go test -run '^$' -bench RedisFloor -benchtime 1x ./frontier/redisfrontier/
func BenchmarkRedisFloor(b *testing.B) {
	for _, mode := range []string{"lua", "polite", "multi"} {
		for _, bs := range [][2]int{{2, 2}, {4, 10}, {8, 16}, {16, 32}} {
			b.Run(fmt.Sprintf("%s/lease%d-commit%d", mode, bs[0], bs[1]), func(b *testing.B) {
				for range b.N {
					floor(b, mode, bs[0], bs[1])
				}
			})
		}
	}
}

var floorLease = redis.NewScript(`
local P, inc = ARGV[1], ARGV[2]
local kv, seqs, out = {}, {}, {}
for i = 3, #ARGV do
  local host = ARGV[i]
  local q = redis.call('ZPOPMIN', P .. 'q:' .. host)
  if #q > 0 then
    redis.call('HINCRBY', P .. 'h:' .. host, 'onwire', 1)
    local seq = string.sub(q[1], 1, 8)
    kv[#kv + 1] = seq
    kv[#kv + 1] = inc .. '\0' .. host .. '\0' .. q[1]
    seqs[#seqs + 1] = seq
    out[#out + 1] = q[1]
  end
end
if #seqs > 0 then
  redis.call('HSET', P .. 'lease', unpack(kv))
  redis.call('SADD', P .. 'w:' .. inc, unpack(seqs))
end
return out
`)

// floorPoliteLease is floorLease choosing its hosts as a global per-host
// limit needs at the least: the earliest ready host, its in-flight count
// read and written, the ready set kept (a host at its limit leaves it).
// ARGV: P, inc, how many.
var floorPoliteLease = redis.NewScript(`
local P, inc, want = ARGV[1], ARGV[2], tonumber(ARGV[3])
local kv, seqs, out = {}, {}, {}
for i = 1, want do
  local head = redis.call('ZRANGE', P .. 'ready', 0, 0, 'WITHSCORES')
  if #head == 0 then break end
  local host = head[1]
  local q = redis.call('ZPOPMIN', P .. 'q:' .. host)
  if #q > 0 then
    local hk = P .. 'h:' .. host
    local onw = tonumber(redis.call('HGET', hk, 'onwire') or '0') + 1
    redis.call('HSET', hk, 'onwire', onw, 'next', tonumber(head[2]))
    if onw >= 2 then redis.call('ZREM', P .. 'ready', host) end
    local seq = string.sub(q[1], 1, 8)
    kv[#kv + 1] = seq
    kv[#kv + 1] = inc .. '\0' .. host .. '\0' .. q[1]
    seqs[#seqs + 1] = seq
    out[#out + 1] = q[1]
  else
    redis.call('ZREM', P .. 'ready', host)
  end
end
if #seqs > 0 then
  redis.call('HSET', P .. 'lease', unpack(kv))
  redis.call('SADD', P .. 'w:' .. inc, unpack(seqs))
end
return out
`)

// floorPoliteComplete is floorComplete putting each host back in the
// ready set with one ZADD.
var floorPoliteComplete = redis.NewScript(`
local P, inc = ARGV[1], ARGV[2]
local seqs, fps = {}, {}
for i = 3, #ARGV, 4 do
  seqs[#seqs + 1] = ARGV[i]
  fps[#fps + 1] = ARGV[i + 2]
end
redis.call('HDEL', P .. 'lease', unpack(seqs))
redis.call('SREM', P .. 'w:' .. inc, unpack(seqs))
local known = redis.call('SMISMEMBER', P .. 'seen', unpack(fps))
local new = {}
for k = 1, #fps do if known[k] == 0 then new[#new + 1] = fps[k] end end
if #new > 0 then redis.call('SADD', P .. 'seen', unpack(new)) end
local k, ready = 0, {}
for i = 3, #ARGV, 4 do
  k = k + 1
  local host = ARGV[i + 1]
  redis.call('HINCRBY', P .. 'h:' .. host, 'onwire', -1)
  if known[k] == 0 then redis.call('ZADD', P .. 'q:' .. host, 1, ARGV[i + 3]) end
  ready[#ready + 1] = 0
  ready[#ready + 1] = host
end
redis.call('ZADD', P .. 'ready', unpack(ready))
redis.call('HINCRBY', P .. 'st', 'done', #seqs)
return #new
`)

var floorComplete = redis.NewScript(`
local P, inc = ARGV[1], ARGV[2]
local seqs, fps = {}, {}
for i = 3, #ARGV, 4 do
  seqs[#seqs + 1] = ARGV[i]
  fps[#fps + 1] = ARGV[i + 2]
end
redis.call('HDEL', P .. 'lease', unpack(seqs))
redis.call('SREM', P .. 'w:' .. inc, unpack(seqs))
local known = redis.call('SMISMEMBER', P .. 'seen', unpack(fps))
local new = {}
for k = 1, #fps do if known[k] == 0 then new[#new + 1] = fps[k] end end
if #new > 0 then redis.call('SADD', P .. 'seen', unpack(new)) end
local k = 0
for i = 3, #ARGV, 4 do
  k = k + 1
  local host = ARGV[i + 1]
  redis.call('HINCRBY', P .. 'h:' .. host, 'onwire', -1)
  if known[k] == 0 then redis.call('ZADD', P .. 'q:' .. host, 1, ARGV[i + 3]) end
end
redis.call('HINCRBY', P .. 'st', 'done', #seqs)
return #new
`)

func floor(b *testing.B, mode string, leaseBatch, commitBatch int) {
	srv := redistest.Start(b)
	ctx := context.Background()
	cl := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer cl.Close()
	const hosts, pages, p, inc = 50, 20_000, "trawl:{floor}:", "w1:1"
	rec := func(n int) string {
		// seq (8 bytes) + a record of a typical size: the URL and its
		// depth and attempt, as the real members carry.
		return fmt.Sprintf("%08d\x01\x00https://h%02d.site.test/section/page-%07d.html", n, n%hosts, n)
	}
	// Queue 20 pages of each host; each completion queues one more.
	for n := range 20 * hosts {
		if err := cl.ZAdd(ctx, fmt.Sprintf("%sq:h%02d", p, n%hosts), redis.Z{Score: 1, Member: rec(n)}).Err(); err != nil {
			b.Fatal(err)
		}
	}
	for h := range hosts {
		if err := cl.ZAdd(ctx, p+"ready", redis.Z{Score: 0, Member: fmt.Sprintf("h%02d", h)}).Err(); err != nil {
			b.Fatal(err)
		}
	}
	next := 20 * hosts
	cpu := func() float64 {
		m := info(b, cl, "cpu", "used_cpu_user", "used_cpu_sys")
		return m["used_cpu_user"] + m["used_cpu_sys"]
	}
	c0 := cpu()
	type leased struct{ seq, host, member string }
	var out []leased
	lease := func(hs []string) {
		var got []string
		if mode == "polite" {
			r, err := floorPoliteLease.Run(ctx, cl, []string{p + "lease"}, p, inc, len(hs)).StringSlice()
			if err != nil {
				b.Fatal(err)
			}
			got = r
		} else if mode == "lua" {
			args := append([]any{p, inc}, anys(hs)...)
			r, err := floorLease.Run(ctx, cl, []string{p + "lease"}, args...).StringSlice()
			if err != nil {
				b.Fatal(err)
			}
			got = r
		} else {
			var pops []*redis.ZSliceCmd
			_, err := cl.TxPipelined(ctx, func(pp redis.Pipeliner) error {
				for _, h := range hs {
					pops = append(pops, pp.ZPopMin(ctx, p+"q:"+h))
					pp.HIncrBy(ctx, p+"h:"+h, "onwire", 1)
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			var kv, seqs []any
			for i, c := range pops {
				for _, z := range c.Val() {
					m := z.Member.(string)
					kv = append(kv, m[:8], inc+"\x00"+hs[i]+"\x00"+m)
					seqs = append(seqs, m[:8])
					got = append(got, m)
				}
			}
			if len(seqs) > 0 {
				_, err := cl.TxPipelined(ctx, func(pp redis.Pipeliner) error {
					pp.HSet(ctx, p+"lease", kv...)
					pp.SAdd(ctx, p+"w:"+inc, seqs...)
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		}
		for _, m := range got {
			var n int
			fmt.Sscanf(m[:8], "%d", &n)
			out = append(out, leased{m[:8], fmt.Sprintf("h%02d", n%hosts), m})
		}
	}
	complete := func(ls []leased) {
		if mode == "lua" || mode == "polite" {
			sc := floorComplete
			if mode == "polite" {
				sc = floorPoliteComplete
			}
			args := []any{p, inc}
			for _, l := range ls {
				child := rec(next)
				next++
				args = append(args, l.seq, l.host, "fp"+child[:8], child)
			}
			if err := sc.Run(ctx, cl, []string{p + "lease"}, args...).Err(); err != nil {
				b.Fatal(err)
			}
			return
		}
		var seqs, fps []any
		var kids []string
		for _, l := range ls {
			child := rec(next)
			next++
			seqs = append(seqs, l.seq)
			fps = append(fps, "fp"+child[:8])
			kids = append(kids, child)
		}
		known, err := cl.SMIsMember(ctx, p+"seen", fps...).Result()
		if err != nil {
			b.Fatal(err)
		}
		_, err = cl.TxPipelined(ctx, func(pp redis.Pipeliner) error {
			pp.HDel(ctx, p+"lease", strs(seqs)...)
			pp.SRem(ctx, p+"w:"+inc, seqs...)
			pp.SAdd(ctx, p+"seen", fps...)
			for i, l := range ls {
				pp.HIncrBy(ctx, p+"h:"+l.host, "onwire", -1)
				if !known[i] {
					pp.ZAdd(ctx, p+"q:"+l.host, redis.Z{Score: 1, Member: kids[i]})
				}
			}
			pp.HIncrBy(ctx, p+"st", "done", int64(len(ls)))
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	h := 0
	for done := 0; done < pages; {
		for len(out) < commitBatch {
			var hs []string
			for range leaseBatch {
				hs = append(hs, fmt.Sprintf("h%02d", h%hosts))
				h++
			}
			lease(hs)
		}
		complete(out[:commitBatch])
		out = out[commitBatch:]
		done += commitBatch
	}
	b.ReportMetric((cpu()-c0)/pages*1e6, "redis-cpu-µs/page")
}

func anys(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func strs(s []any) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = v.(string)
	}
	return out
}
