package redisfrontier

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trawl-crawler/trawl/frontier"
)

// Round trips, batched. Each write that Redis answers alone costs it an
// event-loop pass with an AOF write and, with appendfsync always, an fsync
// (~100 µs of Redis CPU on the benchmark machine for a lone HINCRBY,
// measured: more than most scripts), plus the reads and writes of the
// round trip itself. So a worker sends what it can together, in one
// script run:
//
//   - Next takes Options.LeaseBatch leases per round trip (one run of the
//     lease script leasing that many, each as if Next had been called
//     again at once: the same choice of host, the same politeness) and
//     hands the rest out from memory on its next calls. Leases held in
//     memory count as leased in Redis (in flight for their host, swept
//     back if the worker dies or leaves), so they never break a limit;
//     they only hold a host's slot until the worker's fetch slots take
//     them.
//   - ReleaseSlot only notes the seq; the release goes with the worker's next
//     round trip: a lease round or a completion batch (the writer waits up
//     to releaseLinger for a completion to go with it), as the first
//     arguments of that script. Releasing later never breaks the per-host
//     limit; a host's slot is free for other workers that much later. A
//     lease round carries the releases pending when it goes and does not
//     wait for a commit out with others (it did: the dispatcher then
//     waited on the commit's round trip, and a commit on a lease
//     round's); it may find that slot still taken, which only makes it
//     lease less, never more.

// releaseLinger is how long the writer holds slot releases back waiting
// for a completion to send with them: a page's completion follows its
// release by its parse and store, usually well under this.
const releaseLinger = 2 * time.Millisecond

// LeaseBatchFor is the LeaseBatch for a worker with concurrency fetch
// slots: a quarter of them, 2 to 8 (1 for a single slot). Leases taken
// ahead wait for a fetch slot, holding their host's request slot meanwhile
// (other workers cannot use it), so the batch stays a small share of the
// slots: a quarter of a page's fetch time on average at most.
func LeaseBatchFor(concurrency int) int {
	if concurrency <= 1 {
		return 1
	}
	return min(8, max(2, concurrency/4))
}

// MaxAheadFor is the MaxAhead for a worker with concurrency fetch slots:
// four times the slots (with a single slot, none ahead). A fast crawl
// takes leases faster than one round trip of LeaseBatch brings them
// (fast-clean at concurrency 16 took ~12 per lease round trip); prefetch
// raises the hand that far only while the worker takes them at that pace.
func MaxAheadFor(concurrency int) int {
	if concurrency <= 1 {
		return 0
	}
	return 4 * concurrency
}

// popReady hands out a lease taken in an earlier round, and starts a
// background round if that left the hand low (prefetch).
func (f *Frontier) popReady() (frontier.Lease, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.ready) == 0 {
		return frontier.Lease{}, false
	}
	l := f.ready[0]
	f.ready = f.ready[1:]
	f.prefetch()
	return l, true
}

// leaseRound sends the pending slot releases and one lease script asking
// for f.batch leases (half the high-water mark once it has grown: what a
// background round would ask) in one round trip, returns the first lease
// and keeps the others for the next calls.
func (f *Frontier) leaseRound(ctx context.Context) (frontier.Lease, bool, time.Duration, error) {
	f.mu.Lock()
	want := min(maxBatch, max(f.batch, f.mark/2))
	f.mu.Unlock()
	got, wait, err := f.lease(ctx, "lease", want)
	if err != nil {
		return frontier.Lease{}, false, 0, err
	}
	if len(got) == 0 {
		return frontier.Lease{}, false, wait, nil
	}
	if len(got) > 1 {
		f.mu.Lock()
		f.ready = append(f.ready, got[1:]...)
		f.mu.Unlock()
	}
	return got[0], true, 0, nil
}

// lease sends the pending slot releases and one lease script asking for
// want leases (what names the round in errors), and returns the leases
// taken or, with none, how long until one may be.
func (f *Frontier) lease(ctx context.Context, what string, want int) ([]frontier.Lease, time.Duration, error) {
	c, err := f.roundTrip(ctx, what, f.takeReleases(), scriptLease, f.ahead.Microseconds(), want)
	if err != nil {
		return nil, 0, err
	}
	r, err := c.Slice()
	if err != nil || len(r) < 4 {
		return nil, 0, f.breakWith(fmt.Errorf("frontier %s: %s: malformed reply %v (%v)", Redacted(f.url), what, r, err))
	}
	if r[0].(int64) == -1 {
		return nil, 0, f.breakWith(ErrFenced)
	}
	f.setStats(r[2])
	got, err := f.takeLeases(r[3])
	if err != nil {
		return nil, 0, err
	}
	return got, max(0, time.Duration(r[1].(int64))*time.Microsecond), nil
}

// takeLeases records the leases of a script's reply (leaseMany's list).
func (f *Frontier) takeLeases(v any) ([]frontier.Lease, error) {
	list, _ := v.([]any)
	got := make([]frontier.Lease, 0, len(list))
	for _, x := range list {
		lr, _ := x.([]any)
		if len(lr) != 5 {
			return nil, f.breakWith(fmt.Errorf("frontier %s: lease: malformed reply %v", Redacted(f.url), x))
		}
		var l frontier.Lease
		var err error
		if lr[0].(int64) == 2 {
			l, err = f.reparseLease(lr)
		} else {
			l, err = f.leased(lr)
		}
		if err != nil {
			return nil, err
		}
		got = append(got, l)
	}
	return got, nil
}

// topUp is how many leases a completion batch of n pages asks for, for
// the next Next calls: enough to bring the leases in hand, counting those
// that batches or a background round already prepared or out will bring
// (coming), to LeaseBatch plus one for each page of the batch, up to the
// high-water mark (twice LeaseBatch until prefetch raised it); none with
// CallerClock, whose leases must answer each call's time, or once Close
// began. Each page of the batch freed a fetch slot that asks Next for a
// lease, so most lease rounds ride on commits: one write round trip (and,
// with appendfsync always, one fsync) instead of two. What it returns is
// in coming until arrived takes it back.
func (f *Frontier) topUp(n int) int {
	if f.caller || f.batch <= 1 {
		return 0
	}
	select {
	case <-f.stop:
		return 0
	default:
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	w := max(0, min(f.mark, f.batch+n)-len(f.ready)-f.coming)
	f.coming += w
	return w
}

// arrived takes back want leases that topUp counted as coming for a batch
// whose reply will not bring them (it failed or was never sent).
func (f *Frontier) arrived(want int) {
	if want == 0 {
		return
	}
	f.mu.Lock()
	f.coming -= want
	f.mu.Unlock()
}

// bgRound is a lease round sent in the background (prefetch).
type bgRound struct {
	want   int           // the leases it asks for, counted in coming until its reply is taken
	waited bool          // Next found the hand empty and waits for it (under mu)
	done   chan struct{} // closed once its leases are in ready (or it failed)
}

// prefetch starts a lease round in the background once the leases ahead
// of the fetch slots (in hand, and coming with rounds or commits out) have
// fallen to half the high-water mark (to none while the mark is at its
// floor: there the commits' top-ups keep the hand, as without prefetch,
// and a round ahead of them only added round trips to a slow crawl),
// asking for what brings them back to it (at most maxBatch): Next then
// rarely waits on a round trip. One round at a time. The mark follows
// demand between 2 × LeaseBatch and
// MaxAhead: it doubles when Next found the hand empty and waited for a
// round that brought all it asked for (the worker took leases faster than
// one round trip brings them; a round that brought fewer found the crawl
// short of work, which a larger hand does not cure), and falls by an
// eighth when a round's reply finds leases still in hand. Leases ahead
// are leased in Redis (they hold their host's slot and are swept back if
// the worker dies), so the mark grows only while the worker takes them
// within about a round trip: they never wait long in hand. Only with
// MaxAhead above 2 × LeaseBatch (and never with CallerClock or once
// Close began). Called with f.mu held.
func (f *Frontier) prefetch() {
	if f.maxAhead <= 2*f.batch || f.bg != nil || f.stopping || f.closed || f.broken != nil {
		return
	}
	low := f.mark / 2
	if f.mark <= 2*f.batch {
		low = 0 // at the floor, commits' top-ups keep the hand: no round ahead of them
	}
	have := len(f.ready) + f.coming
	if have > low {
		return
	}
	r := &bgRound{want: min(maxBatch, f.mark-have), done: make(chan struct{})}
	f.coming += r.want
	f.bg = r
	f.wg.Add(1) // Close waits for it: stopping is set under mu before its wg.Wait
	go f.leaseAhead(r)
}

// leaseAhead runs background round r: the pending slot releases and one
// lease script, as leaseRound; its leases go to the hand. A failure breaks
// the frontier (Next then returns it).
func (f *Frontier) leaseAhead(r *bgRound) {
	defer f.wg.Done()
	var got []frontier.Lease
	defer func() {
		f.mu.Lock()
		switch {
		case r.waited && len(got) == r.want:
			f.mark = min(f.maxAhead, 2*f.mark)
		case len(f.ready) > 0:
			f.mark = max(2*f.batch, f.mark-f.mark/8)
		}
		f.ready = append(f.ready, got...)
		f.coming -= r.want
		f.bg = nil
		f.mu.Unlock()
		close(r.done)
	}()
	ctx, cancel := f.opCtx()
	defer cancel()
	got, _, _ = f.lease(ctx, "lease ahead", r.want) // an error broke the frontier
}

// awaitAhead waits for the background round out, if any, and reports
// whether there was one.
func (f *Frontier) awaitAhead() bool {
	f.mu.Lock()
	r := f.bg
	if r != nil {
		r.waited = true
	}
	f.mu.Unlock()
	if r == nil {
		return false
	}
	<-r.done
	return true
}

// roundTrip runs script s (one that starts with the releases it carries:
// lease, release, complete) with the release of rels (this worker's seqs)
// and args, in one round trip. An error (named by what) breaks the
// frontier. go-redis loads a script Redis does not know
// (it restarted and lost its script cache) by running it again with EVAL:
// a run that failed with NOSCRIPT did nothing.
func (f *Frontier) roundTrip(ctx context.Context, what string, rels []string, s *redis.Script, args ...any) (*redis.Cmd, error) {
	all := make([]any, 0, 3+len(rels)+len(args))
	all = append(all, f.p, f.inc, len(rels))
	for _, seq := range rels {
		all = append(all, seq)
	}
	all = append(all, args...)
	c := s.Run(ctx, f.cl, []string{f.p + "cfg"}, all...)
	if err := c.Err(); err != nil {
		if len(rels) > 0 {
			what = fmt.Sprintf("%s (with the release of %d request slots)", what, len(rels))
		}
		return nil, f.breakWith(wrapErr(f.url, what, err))
	}
	return c, nil
}

// commitLinger is how long the writer holds a batch of fewer than
// LeaseBatch completions back waiting for more (see linger).
const commitLinger = 10 * time.Millisecond

// linger holds the writer back, counted from its wake-up: up to
// releaseLinger while it has slot releases and no completion to send them
// with, and up to commitLinger while it has fewer completions than
// LeaseBatch. A write round trip costs Redis about as much as the pages it
// carries (an fsync, a script's fixed work), so when pages complete one at
// a time (a latency-bound crawl) a few milliseconds make one round trip
// of several; when the worker is busy, batches fill during the previous
// round trip and it does not wait. Not with CallerClock (tests that
// expect each completion in Redis at once) or once Close began.
func (f *Frontier) linger() {
	start := time.Now()
	var t *time.Timer
	defer func() {
		if t != nil {
			t.Stop()
		}
	}()
	for {
		f.mu.Lock()
		nq, nrel, cl := len(f.queue), len(f.rel), f.commitLinger
		f.mu.Unlock()
		var d time.Duration
		switch {
		case nq == 0 && nrel > 0:
			d = releaseLinger
		case nq > 0 && nq < f.batch && !f.caller:
			d = cl
		default:
			return
		}
		d -= time.Since(start)
		if d <= 0 {
			return
		}
		if t == nil {
			t = time.NewTimer(d)
		} else {
			t.Reset(d)
		}
		select {
		case <-f.wake:
		case <-t.C:
			return
		case <-f.stop:
			return
		}
	}
}

// takeReleases takes the pending slot releases for a round trip to carry.
func (f *Frontier) takeReleases() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	rels := f.rel
	f.rel = nil
	return rels
}

// sendReleases sends the pending slot releases now (the writer, with no
// completion to send them with; tests: another worker is to see them).
func (f *Frontier) sendReleases(ctx context.Context) error {
	rels := f.takeReleases()
	if len(rels) == 0 {
		return nil
	}
	_, err := f.roundTrip(ctx, "release request slots", rels, scriptRelease)
	return err
}

// luaBatch is the part of the scripts' library that does per batch what
// was done per URL (see "Calls per page" in docs/ARCHITECTURE.md): every
// call a script makes costs Redis ~3–4 µs (and each write one more command
// in the AOF), so a batch's releases, completions and new URLs touch each
// host's hash once, the ready set once, each counter once, and the seen
// set with one SMISMEMBER and one SADD for all of its links.
const luaBatch = `
-- readyScore is when host is ready (its score in the ready set), or false
-- when it must leave the set: no work, no free request slot, or (robots
-- gate) robots.txt unknown or expiring with a lease of the host out, so
-- the lease that fetches it is alone. nxt, onw, infl, rx are the host's
-- fields as they now are; nq whether q:HOST has members (nil: unknown).
local function readyScore(host, perhost, rgate, nxt, onw, infl, rx, nq)
  if onw >= perhost then return false end
  if rgate and infl > 0 and rx <= nowus() + 5000000 then return false end
  if nq == nil then nq = redis.call('EXISTS', P .. 'q:' .. host) == 1 end
  if nq then return nxt end
  local r = redis.call('ZRANGE', P .. 'r:' .. host, 0, 0, 'WITHSCORES')
  if #r == 0 then return false end
  return math.max(nxt, tonumber(r[2]))
end
-- settleHosts applies T: for each host one HMGET and at most one HSET
-- (in-flight and on-wire counts, next start, the "known host" flag c),
-- then the ready set with one ZADD and one ZREM. Returns nothing; T is
-- emptied.
local function settleHosts(perhost, rgate)
  local adds, rems, nh = {}, {}, 0
  for host, t in pairs(T) do
    local hk = P .. 'h:' .. host
    local h = redis.call('HMGET', hk, 'next', 'onwire', 'inflight', 'rx', 'c')
    local nxt, onw, infl = num(h[1]), num(h[2]) - t.onw, num(h[3]) - t.infl
    local set = {}
    if t.nb and t.nb > nxt then
      nxt = t.nb
      set[#set + 1] = 'next'
      set[#set + 1] = nxt
    end
    if t.onw ~= 0 then
      set[#set + 1] = 'onwire'
      set[#set + 1] = onw
    end
    if t.infl ~= 0 then
      set[#set + 1] = 'inflight'
      set[#set + 1] = infl
    end
    if not h[5] then
      set[#set + 1] = 'c'
      set[#set + 1] = '1'
      nh = nh + 1
    end
    if #set > 0 then redis.call('HSET', hk, unpack(set)) end
    local rs = readyScore(host, perhost, rgate, nxt, onw, infl, num(h[4]), t.nq)
    if rs then
      adds[#adds + 1] = rs
      adds[#adds + 1] = host
    else
      rems[#rems + 1] = host
    end
  end
  T = {}
  chunked('ZADD', P .. 'ready', adds)
  chunked('ZREM', P .. 'ready', rems)
  if nh > 0 then redis.call('HINCRBY', P .. 'st', 'hosts', nh) end
end
-- releaseArgs frees the request slots of the n seqs in ARGV from index
-- from on (inc's leases whose last body byte is in) into T: one HMGET of
-- their leases, one SMISMEMBER and one SREM of the on-wire set. Unknown
-- seqs, other incarnations' and ones already released are ignored.
local function releaseArgs(inc, from, n)
  if n == 0 then return end
  local seqs, dup = {}, {}
  for k = from, from + n - 1 do
    if not dup[ARGV[k]] then
      dup[ARGV[k]] = true
      seqs[#seqs + 1] = ARGV[k]
    end
  end
  local lvs = chunked('HMGET', P .. 'lease', seqs)
  local ow = chunked('SMISMEMBER', P .. 'ow', seqs)
  local rem = {}
  for k, seq in ipairs(seqs) do
    if lvs[k] and ow[k] == 1 then
      local owner, _, _, host = parse(lvs[k])
      if owner == inc then
        rem[#rem + 1] = seq
        local t = hostT(host)
        t.onw = t.onw + 1
      end
    end
  end
  chunked('SREM', P .. 'ow', rem)
end
-- leaseMany leases up to want URLs for incarnation inc (the lease script's
-- doc, scripts.go): a re-extraction its worker owes first, else the
-- earliest ready host's due retry or lowest (depth, seq), as many calls of
-- one lease each would, until --max-pages counting leases. The leases'
-- own keys (lease hash, worker and on-wire sets, counters) are written
-- once for all. Returns the leases and, when none was found, the wait.
local function leaseMany(inc, want, ahead, perhost, delay, maxpages, rgate)
  local now = nowus()
  local used = 0
  if maxpages > 0 then
    local s = redis.call('HMGET', P .. 'st', 'done', 'failed', 'leased')
    used = num(s[1]) + num(s[2]) + num(s[3])
  end
  local kv, seqs = {}, {}
  local function leaseOne()
    for i = 1, 32 do
      local head = redis.call('ZRANGE', P .. 'ready', 0, 0, 'WITHSCORES')
      if #head == 0 then return nil, 0 end
      local host, ready = head[1], tonumber(head[2])
      if ready > now + ahead then return nil, ready - now - ahead end
      local member, kind, score
      local r = redis.call('ZRANGE', P .. 'r:' .. host, 0, 0, 'WITHSCORES')
      if #r > 0 and tonumber(r[2]) <= now + ahead then
        member, kind, score = r[1], 'r', r[2]
        redis.call('ZREM', P .. 'r:' .. host, member)
      else
        -- ZPOPMIN, not ZRANGE and ZREM: the AOF logs the pop, not the
        -- member again
        local q = redis.call('ZPOPMIN', P .. 'q:' .. host)
        if #q > 0 then member, kind, score = q[1], 'q', q[2] end
      end
      if member then
        local hk = P .. 'h:' .. host
        local h = redis.call('HMGET', hk, 'delay', 'next', 'onwire', 'inflight', 'rx')
        local gap = math.max(delay, num(h[1]))
        local start = math.max(now, num(h[2]))
        if kind == 'r' then start = math.max(start, tonumber(score)) end
        local onw, infl = num(h[3]) + 1, num(h[4]) + 1
        redis.call('HSET', hk, 'next', start + gap, 'onwire', onw, 'inflight', infl)
        local rs = readyScore(host, perhost, rgate, start + gap, onw, infl, num(h[5]), nil)
        if rs then redis.call('ZADD', P .. 'ready', rs, host) else redis.call('ZREM', P .. 'ready', host) end
        local seq = string.sub(member, 1, 8)
        kv[#kv + 1] = seq
        kv[#kv + 1] = inc .. '\0' .. kind .. '\0' .. score .. '\0' .. host .. '\0' .. member
        seqs[#seqs + 1] = seq
        return {1, member, host, start, gap}
      end
      fix(host, perhost, rgate)
    end
    return nil, 1000
  end
  local out, wait = {}, 0
  while #out < want do
    local l
    local rp = nextReparse(inc)
    if rp then
      l = {2, rp[1], rp[2], rp[3], rp[4]}
    elseif maxpages > 0 and used >= maxpages then
      break
    else
      local w
      l, w = leaseOne()
      if not l then
        wait = w
        break
      end
      used = used + 1
    end
    out[#out + 1] = l
  end
  if #seqs > 0 then
    chunked('HSET', P .. 'lease', kv)
    chunked('SADD', P .. 'w:' .. inc, seqs)
    chunked('SADD', P .. 'ow', seqs)
    redis.call('HINCRBY', P .. 'st', 'queued', -#seqs)
    redis.call('HINCRBY', P .. 'st', 'leased', #seqs)
  end
  return out, wait
end
-- addMany queues the URLs not seen before among the items at ARGV indexes
-- at (each: fingerprint, host, depth, record), in order, as add does one
-- by one: one SMISMEMBER and one SADD of the seen set, one seq increment,
-- one HMGET of the deferred hosts and one ZADD per host. First-come depths
-- only (with a depth limit a known URL may be lowered: add, per URL).
-- Returns how many were new.
local function addMany(at)
  if #at == 0 then return 0 end
  if maxDepth() >= 0 then
    local added = 0
    for _, j in ipairs(at) do added = added + add(ARGV[j], ARGV[j + 1], ARGV[j + 2], ARGV[j + 3]) end
    return added
  end
  local fps = {}
  for k, j in ipairs(at) do fps[k] = ARGV[j] end
  local known = chunked('SMISMEMBER', P .. 'seen', fps)
  local new, nfps, mark = {}, {}, {}
  for k, j in ipairs(at) do
    if known[k] == 0 and not mark[fps[k]] then
      mark[fps[k]] = true
      new[#new + 1] = j
      nfps[#nfps + 1] = fps[k]
    end
  end
  if #new == 0 then return 0 end
  chunked('SADD', P .. 'seen', nfps)
  local seq = redis.call('HINCRBY', P .. 'st', 'seq', #new) - #new
  local hosts, byHost = {}, {}
  for _, j in ipairs(new) do
    local h = ARGV[j + 1]
    local z = byHost[h]
    if not z then
      z = {}
      byHost[h] = z
      hosts[#hosts + 1] = h
    end
    seq = seq + 1
    -- the depth as the caller formatted it (a decimal integer): a Lua
    -- number would be formatted again with %.17g by redis.call
    z[#z + 1] = ARGV[j + 2]
    z[#z + 1] = seq8(seq) .. ARGV[j + 3]
  end
  local dr = chunked('HMGET', P .. 'dh', hosts)
  local queued = 0
  for k, h in ipairs(hosts) do
    local z, t = byHost[h], hostT(h)
    if dr[k] then
      for m = 1, #z, 2 do deferURL(h, z[m], z[m + 1], dr[k]) end
    else
      chunked('ZADD', P .. 'q:' .. h, z)
      queued = queued + #z / 2
      t.nq = true
    end
  end
  if queued > 0 then redis.call('HINCRBY', P .. 'st', 'queued', queued) end
  return #new
end
`
