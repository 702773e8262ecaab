package redisfrontier

import "github.com/redis/go-redis/v9"

// Every step that reads and then writes shared state is one Lua script, so
// Redis runs it atomically (no other client's command interleaves) and
// AOF logs its writes as one MULTI/EXEC block (a torn tail is dropped whole
// on load). Scripts never fail half-way on valid input: arguments are
// checked in Go first, because Redis does not roll back a script that
// errors after writing.
//
// Times are microseconds on Redis's clock (TIME), held in Lua doubles
// (exact below 2^53). Numbers are passed to redis.call as numbers, which
// Redis formats with %.17g; they are never concatenated into strings, which
// Lua 5.1 formats with %.14g and would round.
//
// Keys (P is "trawl:{CRAWL}:", one hash tag per crawl):
//
//	P cfg          hash  per_host, delay (µs), max_pages, robots_gate, scope fingerprint
//	P meta         hash  SetMeta key → value
//	P st           hash  queued, leased, done, failed, skipped, retries, hosts, bytes, seq
//	P seen         set   16-byte fingerprint of every URL ever added (exact dedup)
//	P q:HOST       zset  queued URLs: score depth, member seq (8 bytes BE) + record
//	P r:HOST       zset  delayed retries: score retry time (µs), member as above
//	P h:HOST       hash  next (µs), last (last reserved start, µs), delay (µs), onwire, inflight, robots, rx (its expiry, µs), c
//	P d:HOST       zset  deferred URLs: score depth, member as above
//	P dhosts       set   hosts with deferred URLs; P dr: host → reason of its first
//	P dh           hash  deferred hosts → reason (their new URLs are deferred too)
//	P ready        zset  hosts that have work and a free request slot → ready time (µs)
//	P lease        hash  seq → incarnation \0 kind \0 score \0 host \0 member
//	P ow           set   seqs whose request may still be on the wire
//	P w:INC        set   seqs leased by incarnation INC
//	P workers      zset  live incarnations → heartbeat deadline (µs)
//	P winc         hash  worker id → its current incarnation
//	P wn           hash  worker id → incarnation counter
//	P cp           hash  worker id → its page store's committed checkpoint
//	P bn           hash  live incarnation → the number of its last committed completion batch
//
// With a depth limit (cfg max_depth ≥ 0; depth.go), instead of seen:
//
//	P u            hash  16-byte fingerprint → where the URL is (queued, fetched by whom and where, final)
//	P low          hash  seq of a lease → the member it was lowered to while out
//	P rp:WID       zset  fetched pages worker WID owes a re-extraction: fingerprint, score depth
//	P rpf:WID      hash  those handed out: fingerprint → depth
const luaLib = `
local P = ARGV[1]
-- realus is Redis's clock: heartbeat deadlines always use it. Read once
-- per script: a script is one instant (and each read is a call).
local realcache, nowcache
local function realus()
  if not realcache then
    local t = redis.call('TIME')
    realcache = tonumber(t[1]) * 1000000 + tonumber(t[2])
  end
  return realcache
end
-- nowus is the schedule's clock: Redis's, unless a test set P clock (the
-- contract tests pass their own times to Next and Begin).
local function nowus()
  if not nowcache then
    local c = redis.call('GET', P .. 'clock')
    if c then nowcache = tonumber(c) else nowcache = realus() end
  end
  return nowcache
end
local function num(v)
  if v then return tonumber(v) or 0 end
  return 0
end
-- mdcache is the crawl's depth limit once read (maxDepth, depth.go).
local mdcache
local function cfg()
  local c = redis.call('HMGET', P .. 'cfg', 'per_host', 'delay', 'max_pages', 'robots_gate', 'max_depth')
  mdcache = tonumber(c[5] or '-1') or -1
  return math.max(1, num(c[1])), num(c[2]), num(c[3]), c[4] == '1'
end
-- fix puts host in the ready set when it has work, a free request slot
-- and (with the robots gate) either fresh robots.txt or no lease in flight:
-- the lease that finds robots.txt unknown or expired fetches it, and the
-- host's other URLs wait for it, so robots.txt is fetched once for the
-- whole crawl (and once per expiry).
local function fix(host, perhost, rgate)
  local hk = P .. 'h:' .. host
  local h = redis.call('HMGET', hk, 'next', 'onwire', 'inflight', 'rx')
  local nq = redis.call('ZCARD', P .. 'q:' .. host)
  local nr = redis.call('ZCARD', P .. 'r:' .. host)
  local gated = false
  if rgate and num(h[3]) > 0 then
    -- 5 s ahead: a lease may start up to its lookahead after it is made,
    -- and must not find robots.txt expired by then.
    gated = num(h[4]) <= nowus() + 5000000
  end
  if (nq > 0 or nr > 0) and num(h[2]) < perhost and not gated then
    local ready = num(h[1])
    if nq == 0 then
      local r = redis.call('ZRANGE', P .. 'r:' .. host, 0, 0, 'WITHSCORES')
      ready = math.max(ready, tonumber(r[2]))
    end
    redis.call('ZADD', P .. 'ready', ready, host)
  else
    redis.call('ZREM', P .. 'ready', host)
  end
end
local function seq8(n)
  local b8 = n % 256
  n = (n - b8) / 256
  local b7 = n % 256
  n = (n - b7) / 256
  local b6 = n % 256
  n = (n - b6) / 256
  local b5 = n % 256
  n = (n - b5) / 256
  local b4 = n % 256
  n = (n - b4) / 256
  local b3 = n % 256
  n = (n - b3) / 256
  local b2 = n % 256
  return string.char((n - b2) / 256, b2, b3, b4, b5, b6, b7, b8)
end
-- parse splits a lease value: incarnation, kind, score, host, member.
local function parse(lv)
  local p1 = string.find(lv, '\0', 1, true)
  local p2 = string.find(lv, '\0', p1 + 1, true)
  local p3 = string.find(lv, '\0', p2 + 1, true)
  local p4 = string.find(lv, '\0', p3 + 1, true)
  return string.sub(lv, 1, p1 - 1), string.sub(lv, p1 + 1, p2 - 1), string.sub(lv, p2 + 1, p3 - 1),
    string.sub(lv, p3 + 1, p4 - 1), string.sub(lv, p4 + 1)
end
-- add queues one URL unless its fingerprint was seen; returns 1 if new.
-- deferURL puts one member of host in the deferred state with reason.
local function deferURL(host, depth, member, reason)
  redis.call('ZADD', P .. 'd:' .. host, depth, member)
  redis.call('SADD', P .. 'dhosts', host)
  redis.call('HSETNX', P .. 'dr', host, reason)
  redis.call('HINCRBY', P .. 'st', 'deferred', 1)
end
-- depthOf reads the depth (the first uvarint after the seq) of a member.
local function depthOf(member)
  local d, mul, i = 0, 1, 9
  while true do
    local b = string.byte(member, i)
    d = d + (b % 128) * mul
    if b < 128 then return d end
    mul, i = mul * 128, i + 1
  end
end
-- T collects a script's per-host changes (host → {onw, infl: on-wire and
-- in-flight decrements; nb: latest not-before; nq: true when the script
-- queued to q:HOST, nil when unknown}); settleHosts (batch.go) writes
-- each host's hash once and the ready set once at the end.
local T = {}
local function hostT(host)
  local t = T[host]
  if not t then
    t = {onw = 0, infl = 0}
    T[host] = t
  end
  return t
end
-- chunked runs cmd on key with args in slices (unpack is bounded by Lua's
-- C stack) and returns the array replies concatenated. step is even, so
-- score/member and field/value pairs stay together.
local function chunked(cmd, key, args)
  local out = {}
  for s = 1, #args, 1000 do
    local r = redis.call(cmd, key, unpack(args, s, math.min(#args, s + 999)))
    if type(r) == 'table' then
      for k = 1, #r do out[#out + 1] = r[k] end
    end
  end
  return out
end
` + luaDepth + `
-- add queues one URL unless its fingerprint was seen; returns 1 if new.
-- A URL of a deferred host is deferred at once. With a depth limit a
-- known URL found at a smaller depth is lowered (depth.go). Without one,
-- addMany (batch.go) does the same for many URLs with a few calls.
local function add(fp, host, depth, payload)
  if not seenOrLower(fp, host, depth, payload) then return 0 end
  local seq = redis.call('HINCRBY', P .. 'st', 'seq', 1)
  if maxDepth() >= 0 then redis.call('HSET', P .. 'u', fp, uQ(host, seq8(seq) .. payload)) end
  if redis.call('HSETNX', P .. 'h:' .. host, 'c', '1') == 1 then
    redis.call('HINCRBY', P .. 'st', 'hosts', 1)
  end
  local dreason = redis.call('HGET', P .. 'dh', host)
  if dreason then
    deferURL(host, tonumber(depth), seq8(seq) .. payload, dreason)
    return 1
  end
  redis.call('ZADD', P .. 'q:' .. host, tonumber(depth), seq8(seq) .. payload)
  redis.call('HINCRBY', P .. 'st', 'queued', 1)
  hostT(host).nq = true
  return 1
end
-- deferHost defers host with reason: its queued URLs (retries included)
-- become deferred, and so will every URL of it added, retried or released
-- until RequeueDeferred.
local function deferHost(host, reason)
  redis.call('HSET', P .. 'dh', host, reason)
  local n = 0
  for _, k in ipairs({P .. 'q:' .. host, P .. 'r:' .. host}) do
    local ms = redis.call('ZRANGE', k, 0, -1)
    for _, m in ipairs(ms) do
      deferURL(host, depthOf(m), m, reason)
      n = n + 1
    end
    redis.call('DEL', k)
  end
  if n > 0 then redis.call('HINCRBY', P .. 'st', 'queued', -n) end
end
-- sweep puts every lease of incarnation inc back at its old place (or
-- defers it with its host) and forgets the incarnation.
local function sweep(inc, perhost, rgate)
  local seqs = redis.call('SMEMBERS', P .. 'w:' .. inc)
  local touched = {}
  for _, seq in ipairs(seqs) do
    local lv = redis.call('HGET', P .. 'lease', seq)
    if lv then
      local owner, kind, score, host, member = parse(lv)
      if owner == inc then
        local low = takeLow(seq)
        if low then
          member = low
          if kind == 'q' then score = depthOf(low) end
        end
        -- A host deferred meanwhile (by any worker) takes it, as it
        -- takes a released lease.
        local dr = redis.call('HGET', P .. 'dh', host)
        if dr then
          deferURL(host, depthOf(member), member, dr)
        else
          redis.call('ZADD', P .. kind .. ':' .. host, tonumber(score), member)
          redis.call('HINCRBY', P .. 'st', 'queued', 1)
        end
        redis.call('HDEL', P .. 'lease', seq)
        local hk = P .. 'h:' .. host
        if redis.call('SREM', P .. 'ow', seq) == 1 then redis.call('HINCRBY', hk, 'onwire', -1) end
        redis.call('HINCRBY', hk, 'inflight', -1)
        redis.call('HINCRBY', P .. 'st', 'leased', -1)
        touched[host] = true
      end
    end
  end
  for host in pairs(touched) do fix(host, perhost, rgate) end
  sweepReparse(inc)
  redis.call('HDEL', P .. 'bn', inc)
  redis.call('DEL', P .. 'w:' .. inc)
  redis.call('ZREM', P .. 'workers', inc)
  return #seqs
end
-- stats are the crawl's counters, returned with each step's reply so a
-- worker's Stats follow its own steps exactly.
local function stats()
  return redis.call('HMGET', P .. 'st', 'queued', 'leased', 'done', 'failed', 'skipped', 'retries', 'hosts', 'bytes', 'deferred')
end
local function alive(inc)
  local dl = redis.call('ZSCORE', P .. 'workers', inc)
  return dl and tonumber(dl) >= realus()
end
` + luaBatch

// scriptInit creates the crawl if it does not exist. ARGV: P, scope
// fingerprint, per_host, delay µs, max_pages, robots_gate, max_depth (-1:
// first-come depths; fixed for the crawl's life). Returns
// {created (1/0), stored scope fingerprint}.
var scriptInit = redis.NewScript(luaLib + `
if redis.call('HSETNX', P .. 'cfg', 'scope', ARGV[2]) == 1 then
  redis.call('HSET', P .. 'cfg', 'per_host', ARGV[3], 'delay', ARGV[4], 'max_pages', ARGV[5], 'robots_gate', ARGV[6], 'max_depth', ARGV[7])
  redis.call('HSETNX', P .. 'st', 'seq', 0)
  return {1, ARGV[2]}
end
return {0, redis.call('HGET', P .. 'cfg', 'scope')}
`)

// scriptJoin starts a new incarnation of worker wid. The caller holds the
// worker directory's lock, so an earlier incarnation of wid is dead: its
// leases go back first, in this same step, so none of its completions can
// commit after the checkpoint is read. ARGV: P, wid, ttl µs. Returns
// {incarnation, checkpoint or "", leases swept}.
var scriptJoin = redis.NewScript(luaLib + `
local wid, ttl = ARGV[2], tonumber(ARGV[3])
local perhost, delay, maxpages, rgate = cfg()
local now = realus()
local swept = 0
local old = redis.call('HGET', P .. 'winc', wid)
if old then swept = sweep(old, perhost, rgate) end
local inc = wid .. ':' .. redis.call('HINCRBY', P .. 'wn', wid, 1)
redis.call('HSET', P .. 'winc', wid, inc)
redis.call('ZADD', P .. 'workers', now + ttl, inc)
local cp = redis.call('HGET', P .. 'cp', wid)
if not cp then cp = '' end
return {inc, cp, swept}
`)

// scriptHeartbeat renews incarnation inc and sweeps incarnations whose
// deadline has passed. ARGV: P, inc, ttl µs. Returns -1 if inc itself was
// swept (or is past its deadline: it is swept now), else the number of
// dead incarnations swept.
var scriptHeartbeat = redis.NewScript(luaLib + `
local inc, ttl = ARGV[2], tonumber(ARGV[3])
local perhost, delay, maxpages, rgate = cfg()
local now = realus()
local dl = redis.call('ZSCORE', P .. 'workers', inc)
if not dl or tonumber(dl) < now then
  if dl then sweep(inc, perhost, rgate) end
  return -1
end
redis.call('ZADD', P .. 'workers', now + ttl, inc)
local dead = redis.call('ZRANGEBYSCORE', P .. 'workers', '-inf', now, 'LIMIT', 0, 16)
for _, d in ipairs(dead) do
  if d ~= inc then sweep(d, perhost, rgate) end
end
return #dead
`)

// Scripts that a worker's round trips carry (lease, release, complete)
// start with the slot releases that go with them (batch.go): ARGV: P,
// incarnation, n, then n seqs, then the script's own arguments.

// scriptLease frees the request slots of the releases it carries, then
// leases up to want URLs for incarnation inc, each as a call of its own
// would: the ready host whose ready time is earliest (ties by name), its
// due retry first, else the lowest (depth, seq) of its queue. A host is
// leasable up to lookahead before its ready time; the lease says when its
// request may start, and the host's next start is that plus its gap. A
// re-extraction this worker owes (depth.go) comes first. ARGV after the
// releases: lookahead µs, want. Returns {-1} when inc is no longer live
// (fenced), else {count, wait µs (when count is 0; 0: nothing until an
// event), stats, leases}, each lease {1, member, host, start µs, gap µs}
// or {2, member, host, fingerprint, locator} (a re-extraction).
var scriptLease = redis.NewScript(luaLib + `
local inc, nrel = ARGV[2], tonumber(ARGV[3])
local A = 4 + nrel
local ahead, want = tonumber(ARGV[A]), tonumber(ARGV[A + 1])
local now = nowus()
if not alive(inc) then return {-1} end
local perhost, delay, maxpages, rgate = cfg()
releaseArgs(inc, 4, nrel)
settleHosts(perhost, rgate)
local out, wait = leaseMany(inc, want, ahead, perhost, delay, maxpages, rgate)
return {#out, wait, stats(), out}
`)

// scriptBegin reserves a request start for host: the later of now and
// the last reserved start plus the host's gap; the host's next lease
// starts no earlier than that plus the gap. ARGV: P, host, and for a
// Rebegin the start it reserved before ("" for a Begin): if that is still
// the last, the slot is the caller's and the start is now. Returns the
// reserved start (µs, Redis clock; 0 for a host without a gap): a wait
// counted from the script's now would start the request early by however
// long the call took to reach Redis.
var scriptBegin = redis.NewScript(luaLib + `
local host, mine = ARGV[2], ARGV[3]
local perhost, delay, maxpages, rgate = cfg()
local hk = P .. 'h:' .. host
local h = redis.call('HMGET', hk, 'delay', 'last', 'next')
local gap = math.max(delay, num(h[1]))
local now = nowus()
if gap <= 0 then return 0 end
local last = num(h[2])
if mine ~= '' and tonumber(mine) == last then last = now - gap end
local start = math.max(now, last + gap)
redis.call('HSET', hk, 'last', start)
if start + gap > num(h[3]) then
  redis.call('HSET', hk, 'next', start + gap)
  fix(host, perhost, rgate)
end
return start
`)

// scriptSent records that a request of host went out now, later than its
// reserved start: the host's last start and next lease move to now (and
// now plus the gap) if they are earlier. ARGV: P, host.
var scriptSent = redis.NewScript(luaLib + `
local host = ARGV[2]
local perhost, delay, maxpages, rgate = cfg()
local hk = P .. 'h:' .. host
local h = redis.call('HMGET', hk, 'delay', 'last', 'next')
local gap = math.max(delay, num(h[1]))
if gap <= 0 then return 0 end
local now = nowus()
if now > num(h[2]) then redis.call('HSET', hk, 'last', now) end
if now + gap > num(h[3]) then
  redis.call('HSET', hk, 'next', now + gap)
  fix(host, perhost, rgate)
end
return 0
`)

// scriptRelease frees the request slots of the releases it carries (inc's
// leases whose last body byte is in); it carries nothing else. Unknown or
// already released seqs are ignored.
var scriptRelease = redis.NewScript(luaLib + `
local inc, nrel = ARGV[2], tonumber(ARGV[3])
local perhost, delay, maxpages, rgate = cfg()
releaseArgs(inc, 4, nrel)
settleHosts(perhost, rgate)
return 0
`)

// scriptComplete frees the request slots of the releases it carries and
// commits a batch of completions of incarnation inc, their children, host
// updates and the worker's page-store checkpoint, all or nothing: if inc
// is not live, or any lease is not inc's, nothing is written. ARGV after
// the releases: wid, has checkpoint (1/0), checkpoint, n, want,
// lookahead µs, batch number (this incarnation's batches count 1, 2, 3...:
// a batch is committed only right after the one before it, so its
// checkpoint never covers pages of a batch that is not), then per
// completion: seq, outcome, score, member, bytes, not-before µs ("" for
// none), delay µs ("" for unchanged), robots ("" for unchanged), robots
// expiry µs, robots host ("" for the lease's host), reason (of a Deferred
// outcome), host defer reason ("" for none), the URL's fingerprint (""
// without a depth limit), locator (Done), reparse (1: the end of a
// re-extraction; seq and the host fields unused), children count, then
// per child: fingerprint, host, depth, record. Then, once committed, it
// leases up to want URLs as the lease script does (the worker's next
// Next calls take them: batch.go), so a lease round trip is saved.
// Returns {1, new URLs, stats, leases (as the lease script's)} or {-1}
// (fenced) or {-2, index} (a lease that is not inc's) or {-3, last} (out
// of order: the batch before it is not committed, last is the latest
// that is; nothing was written, the releases it carries included).
//
// The batch's leases leave the lease hash, the on-wire set and the
// worker's set with one call each, its counters move with one HINCRBY
// each, each host's hash is written once (settleHosts) and, without a
// depth limit, all children are deduplicated together after the
// completions (addMany). With a depth limit each completion and then its
// children run in order, as one by one: a child may lower a URL leased in
// the same batch, which its completion then finds in low.
var scriptComplete = redis.NewScript(luaLib + `
local inc, nrel = ARGV[2], tonumber(ARGV[3])
local A = 4 + nrel
local wid, hascp, cp = ARGV[A], ARGV[A + 1] == '1', ARGV[A + 2]
local now = nowus()
if not alive(inc) then return {-1} end
local perhost, delay, maxpages, rgate = cfg()
local md = maxDepth() >= 0
local n, want, ahead, bn = tonumber(ARGV[A + 3]), tonumber(ARGV[A + 4]), tonumber(ARGV[A + 5]), tonumber(ARGV[A + 6])
local last = num(redis.call('HGET', P .. 'bn', inc))
if bn ~= last + 1 then return {-3, last} end
local first = A + 7
local i = first
local seqs, at = {}, {}
for c = 1, n do
  if ARGV[i + 14] == '1' then
    if redis.call('HEXISTS', P .. 'rpf:' .. wid, ARGV[i + 12]) == 0 then return {-2, c} end
  else
    seqs[#seqs + 1] = ARGV[i]
    at[#at + 1] = c
  end
  i = i + 16 + 4 * tonumber(ARGV[i + 15])
end
local leases = {}
if #seqs > 0 then
  local lvs = chunked('HMGET', P .. 'lease', seqs)
  for k = 1, #seqs do
    if not lvs[k] then return {-2, at[k]} end
    local owner, kind, score, host = parse(lvs[k])
    if owner ~= inc then return {-2, at[k]} end
    leases[at[k]] = host
  end
end
releaseArgs(inc, 4, nrel)
if #seqs > 0 then
  local ow = chunked('SMISMEMBER', P .. 'ow', seqs)
  local rem = {}
  for k = 1, #seqs do
    if ow[k] == 1 then
      rem[#rem + 1] = seqs[k]
      local t = hostT(leases[at[k]])
      t.onw = t.onw + 1
    end
  end
  chunked('SREM', P .. 'ow', rem)
  chunked('SREM', P .. 'w:' .. inc, seqs)
  -- With a depth limit, per completion below: a child lowering a URL
  -- leased in this batch must still find its lease.
  if not md then chunked('HDEL', P .. 'lease', seqs) end
end
local d = {}
local function count(k, v) d[k] = (d[k] or 0) + v end
local kids, added = {}, 0
i = first
for c = 1, n do
  local seq, outcome, score, member, bytes = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local nb, hdelay, robots, rx = ARGV[i + 5], ARGV[i + 6], ARGV[i + 7], ARGV[i + 8]
  local rhost, reason, hdefer = ARGV[i + 9], ARGV[i + 10], ARGV[i + 11]
  local fp, loc, rflag, nkids = ARGV[i + 12], ARGV[i + 13], ARGV[i + 14], tonumber(ARGV[i + 15])
  i = i + 16
  local host = leases[c]
  if rflag == '1' then
    endReparse(wid, fp, outcome == 5)
  else
    local hk = P .. 'h:' .. host
    local t = hostT(host)
    local low = takeLow(seq)
    if low then
      member = lowerTo(member, low)
      if outcome == 5 then score = depthOf(member) end
    end
    if md then redis.call('HDEL', P .. 'lease', seq) end
    t.infl = t.infl + 1
    count('leased', -1)
    if outcome == 1 then
      count('done', 1)
      count('bytes', tonumber(bytes))
    elseif outcome == 2 then
      count('failed', 1)
    elseif outcome == 3 then
      count('skipped', 1)
    else
      local dr = redis.call('HGET', P .. 'dh', host)
      if outcome == 6 or dr then
        deferURL(host, depthOf(member), member, dr or reason)
      elseif outcome == 4 then
        redis.call('ZADD', P .. 'r:' .. host, tonumber(score), member)
        count('queued', 1)
      else
        redis.call('ZADD', P .. 'q:' .. host, tonumber(score), member)
        count('queued', 1)
        t.nq = true
      end
      if outcome == 4 then count('retries', 1) end
    end
    if nb ~= '' then t.nb = math.max(t.nb or 0, tonumber(nb)) end
    if hdelay ~= '' then redis.call('HSET', hk, 'delay', hdelay) end
    if robots ~= '' then
      -- robots.txt is per origin (rhost); the gate is the lease's key's.
      if rhost ~= '' and rhost ~= host then
        redis.call('HSET', P .. 'h:' .. rhost, 'robots', robots, 'rx', rx)
        redis.call('HSET', hk, 'rx', rx)
      else
        redis.call('HSET', hk, 'robots', robots, 'rx', rx)
      end
    end
    if hdefer ~= '' then
      deferHost(host, hdefer)
      t.nq = nil
    end
    settle(fp, wid, host, outcome, member, low, loc)
  end
  if md then
    for k = 1, nkids do
      added = added + add(ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3])
      i = i + 4
    end
  else
    for k = 1, nkids do
      kids[#kids + 1] = i
      i = i + 4
    end
  end
end
added = added + addMany(kids)
for k, v in pairs(d) do
  if v ~= 0 then redis.call('HINCRBY', P .. 'st', k, v) end
end
if hascp then redis.call('HSET', P .. 'cp', wid, cp) end
redis.call('HSET', P .. 'bn', inc, bn)
settleHosts(perhost, rgate)
local out = {}
if want > 0 then out = leaseMany(inc, want, ahead, perhost, delay, maxpages, rgate) end
return {1, added, stats(), out}
`)

// scriptAdd queues URLs not seen before. ARGV: P, then per item:
// fingerprint, host, depth, record. Returns how many were new.
var scriptAdd = redis.NewScript(luaLib + `
local perhost, delay, maxpages, rgate = cfg()
local at = {}
for i = 2, #ARGV, 4 do at[#at + 1] = i end
local added = addMany(at)
settleHosts(perhost, rgate)
return {added, stats()}
`)

// scriptHost applies a host update without a lease. ARGV: P, host,
// not-before µs or "", delay µs or "", robots or "", robots expiry µs,
// defer reason or "".
var scriptHost = redis.NewScript(luaLib + `
local host, nb, hdelay, robots, rx, hdefer = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local perhost, delay, maxpages, rgate = cfg()
local hk = P .. 'h:' .. host
if redis.call('HSETNX', hk, 'c', '1') == 1 then redis.call('HINCRBY', P .. 'st', 'hosts', 1) end
if nb ~= '' and tonumber(nb) > num(redis.call('HGET', hk, 'next')) then
  redis.call('HSET', hk, 'next', tonumber(nb))
end
if hdelay ~= '' then redis.call('HSET', hk, 'delay', hdelay) end
if robots ~= '' then redis.call('HSET', hk, 'robots', robots, 'rx', rx) end
if hdefer ~= '' then deferHost(host, hdefer) end
fix(host, perhost, rgate)
return 0
`)

// scriptRequeueDeferred puts every deferred URL back in its host's queue
// (at its depth; attempt kept) and ends every host deferral. ARGV: P.
// Returns how many URLs it requeued.
var scriptRequeueDeferred = redis.NewScript(luaLib + `
local perhost, delay, maxpages, rgate = cfg()
local n = 0
for _, host in ipairs(redis.call('SMEMBERS', P .. 'dhosts')) do
  local ms = redis.call('ZRANGE', P .. 'd:' .. host, 0, -1, 'WITHSCORES')
  for i = 1, #ms, 2 do
    redis.call('ZADD', P .. 'q:' .. host, tonumber(ms[i + 1]), ms[i])
    n = n + 1
  end
  redis.call('DEL', P .. 'd:' .. host)
  fix(host, perhost, rgate)
end
redis.call('DEL', P .. 'dhosts', P .. 'dr', P .. 'dh')
if n > 0 then -- -0 would reach Redis as "-0", not an integer
  redis.call('HINCRBY', P .. 'st', 'deferred', -n)
  redis.call('HINCRBY', P .. 'st', 'queued', n)
end
return {n, stats()}
`)

// scriptLeave ends incarnation inc: its remaining leases (completions that
// will never commit) go back to their queues at once instead of at the
// deadline. ARGV: P, inc.
var scriptLeave = redis.NewScript(luaLib + `
local inc = ARGV[2]
local perhost, delay, maxpages, rgate = cfg()
if redis.call('ZSCORE', P .. 'workers', inc) then return sweep(inc, perhost, rgate) end
return -1
`)

// scriptDrained reports 1 when nothing is queued or leased anywhere and no
// live worker owes a re-extraction (depth.go), or
// when --max-pages is reached and nothing is leased: the crawl is over.
var scriptDrained = redis.NewScript(luaLib + `
local perhost, delay, maxpages, rgate = cfg()
local s = redis.call('HMGET', P .. 'st', 'queued', 'leased', 'done', 'failed', 'reparse')
if num(s[2]) > 0 then return 0 end
if num(s[1]) == 0 and (num(s[5]) == 0 or not liveOwe()) then return 1 end
if maxpages > 0 and num(s[3]) + num(s[4]) >= maxpages then return 1 end
return 0
`)

// scriptSetGlobals changes the crawl-wide politeness settings and puts
// every host back in the ready set under the new per-host limit. ARGV: P,
// per_host or "", delay µs or "", max_pages or "".
var scriptSetGlobals = redis.NewScript(luaLib + `
if ARGV[2] ~= '' then redis.call('HSET', P .. 'cfg', 'per_host', ARGV[2]) end
if ARGV[3] ~= '' then redis.call('HSET', P .. 'cfg', 'delay', ARGV[3]) end
if ARGV[4] ~= '' then redis.call('HSET', P .. 'cfg', 'max_pages', ARGV[4]) end
local perhost, delay, maxpages, rgate = cfg()
if ARGV[2] ~= '' then
  local cursor = '0'
  repeat
    local r = redis.call('SCAN', cursor, 'MATCH', P .. 'h:*', 'COUNT', 1000)
    cursor = r[1]
    for _, k in ipairs(r[2]) do fix(string.sub(k, #P + 3), perhost, rgate) end
  until cursor == '0'
end
return 0
`)

// ScriptNames maps each script's SHA-1 (the name EVALSHA gives it in
// Redis's SLOWLOG, MONITOR and commandstats-free views) to what it does:
// the benchmark driver's per-script breakdown of Redis's time.
func ScriptNames() map[string]string {
	return map[string]string{
		scriptInit.Hash():            "init",
		scriptJoin.Hash():            "join",
		scriptHeartbeat.Hash():       "heartbeat",
		scriptLease.Hash():           "lease",
		scriptBegin.Hash():           "begin",
		scriptSent.Hash():            "sent",
		scriptRelease.Hash():         "release",
		scriptComplete.Hash():        "complete",
		scriptAdd.Hash():             "add",
		scriptHost.Hash():            "host",
		scriptRequeueDeferred.Hash(): "requeue deferred",
		scriptLeave.Hash():           "leave",
		scriptDrained.Hash():         "drained",
		scriptSetGlobals.Hash():      "set globals",
	}
}
