package redisfrontier

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/trawl-crawler/trawl/frontier"
)

// Shortest depth (a crawl started with --max-depth N: cfg max_depth ≥ 0),
// the semantics of frontier.Item's doc, kept in Redis by the same scripts.
//
// Without a depth limit the seen-set is the set `seen` of fingerprints. With
// one it is the hash `u`: fingerprint → where the URL is, so that a
// rediscovery at a smaller depth finds it and lowers it in the same script
// as the Add or completion that brought the depth:
//
//	Q host \0 member     queued (q:, r: or d: of host, under that member) or leased
//	D wid \0 host \0 len \0 member locator
//	                     fetched by worker wid, stored at locator in its page store
//	F depth              failed or skipped
//
// A queued URL's member moves to its new place (q: and d: are scored by
// depth; r: keeps its retry time). A leased one keeps its lease; the
// lowered member waits in `low` (seq → member) for the lease's end: a
// completion takes it (Done: re-extraction; Retry, Release, Deferred:
// requeued at the new depth), and so does a sweep that puts the lease back.
//
// Re-extraction: a fetched page's stored bytes are in the page store of the
// worker that fetched it, on that worker's machine, so only that worker can
// read its links again. A lowered fetched page (not past max_depth) goes in
// the sorted set `rp:WID` of its worker id (fingerprint, scored by depth);
// that worker's Next hands it out first as a Reparse lease and moves it to
// the hash `rpf:WID` (fingerprint → depth handed out) until it completes. A
// sweep of the worker's incarnation (SIGKILL, a missed deadline, Leave, a
// rejoin) puts rpf:WID back in rp:WID, so a re-extraction is never lost;
// it waits for its worker to come back (the worker id lives in its --dir,
// with the pages). The crawl does not end while a live worker owes one
// (the counter `reparse`, pending and in flight, is the fast check); one
// owed by a worker that is not running does not hold the others: that
// worker does it when it rejoins, and crawls what it finds. The
// alternative, fetching the page again on any worker, would store it in
// two workers' stores and count it twice (docs/ARCHITECTURE.md, "Shortest
// depth").
const luaDepth = `
-- maxDepth is the crawl's depth limit (-1: none, first-come depths).
local function maxDepth()
  if mdcache == nil then
    mdcache = tonumber(redis.call('HGET', P .. 'cfg', 'max_depth') or '-1') or -1
  end
  return mdcache
end
local function uvarint(n)
  local b = {}
  repeat
    local x = n % 128
    n = math.floor(n / 128)
    if n > 0 then x = x + 128 end
    b[#b + 1] = string.char(x)
  until n == 0
  return table.concat(b)
end
local function readUvarint(s, i)
  local v, mul = 0, 1
  while true do
    local b = string.byte(s, i)
    v = v + (b % 128) * mul
    i = i + 1
    if b < 128 then return v, i end
    mul = mul * 128
  end
end
-- splitMember: seq, depth, attempt, redirects, then the URL, parent and
-- tag each with its length prefix (record.go's layout).
local function splitMember(m)
  local d, a, r, i
  d, i = readUvarint(m, 9)
  a, i = readUvarint(m, i)
  r, i = readUvarint(m, i)
  local parts = {}
  for k = 1, 3 do
    local l, j = readUvarint(m, i)
    parts[k] = string.sub(m, i, j + l - 1)
    i = j + l
  end
  return string.sub(m, 1, 8), d, a, r, parts[1], parts[2], parts[3]
end
-- lowerTo is member m with the depth, redirects and parent of low (a
-- member; its seq is ignored): seq, attempt, URL and tag stay m's.
local function lowerTo(m, low)
  local seq, _, a, _, url, _, tag = splitMember(m)
  local _, d, _, r, _, parent = splitMember(low)
  return seq .. uvarint(d) .. uvarint(a) .. uvarint(r) .. url .. parent .. tag
end
local function uQ(host, member) return 'Q' .. host .. '\0' .. member end
local function parseQ(v)
  local p = string.find(v, '\0', 2, true)
  return string.sub(v, 2, p - 1), string.sub(v, p + 1)
end
local function uD(wid, host, member, loc)
  return 'D' .. wid .. '\0' .. host .. '\0' .. #member .. '\0' .. member .. loc
end
-- parseD: worker id, host, member, locator.
local function parseD(v)
  local p1 = string.find(v, '\0', 2, true)
  local p2 = string.find(v, '\0', p1 + 1, true)
  local p3 = string.find(v, '\0', p2 + 1, true)
  local n = tonumber(string.sub(v, p2 + 1, p3 - 1))
  return string.sub(v, 2, p1 - 1), string.sub(v, p1 + 1, p2 - 1), string.sub(v, p3 + 1, p3 + n), string.sub(v, p3 + n + 1)
end
-- widOf is the worker id of incarnation inc (WID:N).
local function widOf(inc) return string.match(inc, '^(.*):') end
-- queueReparse owes worker wid a re-extraction of fp at depth; one in
-- flight is settled by its completion, which sees the new depth.
local function queueReparse(wid, fp, depth)
  if redis.call('HEXISTS', P .. 'rpf:' .. wid, fp) == 1 then return end
  if redis.call('ZADD', P .. 'rp:' .. wid, depth, fp) == 1 then
    redis.call('HINCRBY', P .. 'st', 'reparse', 1)
  end
end
-- lower gives known URL fp (u value v) depth, parent and redirects of
-- record rec if depth is smaller than its own.
local function lower(fp, v, depth, rec)
  local kind = string.sub(v, 1, 1)
  if kind == 'F' then
    if depth < tonumber(string.sub(v, 2)) then redis.call('HSET', P .. 'u', fp, 'F' .. depth) end
    return
  end
  if kind == 'D' then
    local wid, host, m, loc = parseD(v)
    if depth >= depthOf(m) then return end
    redis.call('HSET', P .. 'u', fp, uD(wid, host, lowerTo(m, '        ' .. rec), loc))
    if depth <= maxDepth() then queueReparse(wid, fp, depth) end
    return
  end
  local host, m = parseQ(v)
  if depth >= depthOf(m) then return end
  local nm = lowerTo(m, '        ' .. rec)
  redis.call('HSET', P .. 'u', fp, uQ(host, nm))
  local seq = string.sub(m, 1, 8)
  if redis.call('HEXISTS', P .. 'lease', seq) == 1 then
    redis.call('HSET', P .. 'low', seq, nm)
    return
  end
  for _, k in ipairs({'q', 'd'}) do
    local key = P .. k .. ':' .. host
    if redis.call('ZREM', key, m) == 1 then
      redis.call('ZADD', key, depth, nm)
      return
    end
  end
  local key = P .. 'r:' .. host
  local s = redis.call('ZSCORE', key, m)
  if s then
    redis.call('ZREM', key, m)
    redis.call('ZADD', key, tonumber(s), nm)
  end
end
-- seenOrLower marks fp seen and returns true if it is new; a known URL
-- is lowered to depth (with a depth limit) and false returned.
local function seenOrLower(fp, host, depth, rec)
  if maxDepth() < 0 then return redis.call('SADD', P .. 'seen', fp) == 1 end
  local v = redis.call('HGET', P .. 'u', fp)
  if v then
    lower(fp, v, tonumber(depth), rec)
    return false
  end
  return true
end
-- takeLow removes and returns the member that lease seq was lowered to
-- while out, or nil.
local function takeLow(seq)
  if maxDepth() < 0 then return nil end
  local low = redis.call('HGET', P .. 'low', seq)
  if low then redis.call('HDEL', P .. 'low', seq) end
  return low
end
-- sweepReparse puts the re-extractions incarnation inc had out back in its
-- worker's queue.
local function sweepReparse(inc)
  if maxDepth() < 0 then return end
  local wid = widOf(inc)
  local rf = redis.call('HGETALL', P .. 'rpf:' .. wid)
  for k = 1, #rf, 2 do redis.call('ZADD', P .. 'rp:' .. wid, tonumber(rf[k + 1]), rf[k]) end
  redis.call('DEL', P .. 'rpf:' .. wid)
end
-- nextReparse hands incarnation inc a re-extraction its worker owes:
-- {member, host, fingerprint, locator}, or nil.
local function nextReparse(inc)
  if maxDepth() < 0 then return nil end
  local wid = widOf(inc)
  while true do
    local rp = redis.call('ZRANGE', P .. 'rp:' .. wid, 0, 0)
    if #rp == 0 then return nil end
    local fp = rp[1]
    redis.call('ZREM', P .. 'rp:' .. wid, fp)
    local v = redis.call('HGET', P .. 'u', fp)
    if v and string.sub(v, 1, 1) == 'D' then
      local _, host, m, loc = parseD(v)
      redis.call('HSET', P .. 'rpf:' .. wid, fp, depthOf(m))
      return {m, host, fp, loc}
    end
    redis.call('HINCRBY', P .. 'st', 'reparse', -1)
  end
end
-- endReparse settles worker wid's re-extraction of fp (Release: given
-- back): it is owed again if given back or lowered again while out.
local function endReparse(wid, fp, release)
  local out = tonumber(redis.call('HGET', P .. 'rpf:' .. wid, fp))
  redis.call('HDEL', P .. 'rpf:' .. wid, fp)
  local cur = out
  local v = redis.call('HGET', P .. 'u', fp)
  if v and string.sub(v, 1, 1) == 'D' then
    local _, _, m = parseD(v)
    cur = depthOf(m)
  end
  if release or cur < out then
    redis.call('ZADD', P .. 'rp:' .. wid, cur, fp)
  else
    redis.call('HINCRBY', P .. 'st', 'reparse', -1)
  end
end
-- liveOwe reports whether a live worker owes a re-extraction. One that is
-- not running does not hold the crawl open: it does its own when it
-- rejoins (only it can), and queues what they find then.
local function liveOwe()
  for _, inc in ipairs(redis.call('ZRANGE', P .. 'workers', 0, -1)) do
    local wid = widOf(inc)
    if redis.call('ZCARD', P .. 'rp:' .. wid) + redis.call('HLEN', P .. 'rpf:' .. wid) > 0 then return true end
  end
  return false
end
-- settle records where a lease's URL fp went (outcome 1 done, 2/3 final,
-- else member requeued in host) with a depth limit.
local function settle(fp, wid, host, outcome, member, low, loc)
  if maxDepth() < 0 or fp == '' then return end
  if outcome == 1 then
    redis.call('HSET', P .. 'u', fp, uD(wid, host, member, loc))
    if low and depthOf(member) <= maxDepth() then queueReparse(wid, fp, depthOf(member)) end
  elseif outcome == 2 or outcome == 3 then
    redis.call('HSET', P .. 'u', fp, 'F' .. depthOf(member))
  else
    redis.call('HSET', P .. 'u', fp, uQ(host, member))
  end
end
`

// reparseLease is the Reparse lease of a lease of a lease script's reply
// {2, member, host, fingerprint, locator}: a page this worker fetched, to
// have its links extracted again at its lowered depth.
func (f *Frontier) reparseLease(r []any) (frontier.Lease, error) {
	member, host, fp, loc := r[1].(string), r[2].(string), r[3].(string), r[4].(string)
	e, err := decodeMember(member)
	if err != nil {
		return frontier.Lease{}, f.breakWith(fmt.Errorf("frontier %s: re-extraction in %s: %w", Redacted(f.url), host, err))
	}
	f.mu.Lock()
	f.reparsing[e.url] = fp
	f.mu.Unlock()
	var locator []byte
	if loc != "" {
		locator = []byte(loc)
	}
	return frontier.Lease{URL: e.url, Host: host, Depth: e.depth, Parent: e.parent, Attempt: e.attempt,
		Epoch: f.incN, Redirects: e.redirs, Tag: e.tag, Reparse: true, Locator: locator}, nil
}

// appendReparseEnd adds the complete script's arguments for the end of
// re-extraction r: only the outcome, the fingerprint, the reparse flag and
// the children count (children too unless given back).
func appendReparseEnd(args []any, r compReq) []any {
	args = append(args, "", int(r.c.Outcome), "", "", 0, "", "", "", "", "", "", "", r.fp, "", "1")
	if r.c.Outcome == frontier.Release {
		return append(args, 0)
	}
	return appendChildren(append(args, len(r.c.Children)), r.c.Children, nil)
}

// appendChildren adds the add and complete scripts' arguments for
// children: fingerprint, host, depth, record each. fps holds the
// children's fingerprints, index for index, or is nil: then they are
// computed here.
func appendChildren(args []any, children []frontier.Item, fps []string) []any {
	for i, it := range children {
		var fp string
		if fps != nil {
			fp = fps[i]
		} else {
			fp = fingerprint(it.URL)
		}
		args = append(args, fp, it.Host, it.Depth, record(it.URL, it.Parent, it.Tag, it.Depth, 0, it.Redirects))
	}
	return args
}

// owedReparses counts the re-extractions each worker id owes, pending or
// handed out (nil when none is owed).
func owedReparses(ctx context.Context, cl *redis.Client, p string) (map[string]int64, error) {
	if n, err := cl.HGet(ctx, p+"st", "reparse").Int64(); err != nil || n == 0 {
		if errors.Is(err, redis.Nil) {
			err = nil
		}
		return nil, err
	}
	wids, err := cl.HKeys(ctx, p+"winc").Result()
	if err != nil {
		return nil, err
	}
	owed := map[string]int64{}
	for _, wid := range wids {
		pending, err := cl.ZCard(ctx, p+"rp:"+wid).Result()
		if err != nil {
			return nil, err
		}
		out, err := cl.HLen(ctx, p+"rpf:"+wid).Result()
		if err != nil {
			return nil, err
		}
		if pending+out > 0 {
			owed[wid] = pending + out
		}
	}
	return owed, nil
}
