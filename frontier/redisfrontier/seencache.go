package redisfrontier

import (
	"encoding/binary"
	"sync"
)

// seenCache holds fingerprints that this worker saw committed to the
// crawl's seen set, so that a completion's links already known to the
// crawl are dropped before they reach Redis (most links of a page are:
// each URL is new once). In a crawl each link costs the complete script
// its arguments (URL, parent, record: ~150 bytes turned into Lua strings)
// and a probe of the seen set, known or not; a dropped link costs nothing.
//
// Dedup stays exact: the seen set only grows, and the cache only holds
// fingerprints of links that a committed script sent through addMany
// (which leaves every link it is given in seen, new or not). So the cache
// is a subset of Redis's seen set and can say "unknown" wrongly (then
// Redis decides, as without the cache) but never "seen" wrongly. The keys
// are the seen set's own members (16 bytes of SHA-256), compared whole.
//
// What could break the subset, and why it does not (docs/ARCHITECTURE.md,
// "Seen cache"): a crawl with a depth limit, where a known URL can still
// be lowered (no cache there); a Redis that comes back without writes it
// acknowledged (appendfsync other than always: the cache is used only
// when Open finds AOF with appendfsync always, and each heartbeat turns it
// off if that changed; a failover to an asynchronous replica is the same
// risk, not detected, and breaks leases and checkpoints as well); a
// crawl deleted and created again under the same name (a completion that
// used the cache commits only if this incarnation and its leases are in
// Redis, which they are not in a new crawl); a rejoin (a new Frontier, a
// new empty cache).
//
// The table is fixed: sets of seenWays slots indexed by the fingerprint's
// first 8 bytes; a full set forgets its oldest entry. Memory is
// 16 bytes × slots, allocated once, with no pointers for the GC to scan.
type seenCache struct {
	mu    sync.Mutex
	slots [][16]byte // seenWays per set; the zero fingerprint marks an empty slot
	mask  uint64     // sets - 1
	off   bool       // turned off for good (turnOff): knows nothing, keeps nothing
}

// turnOff empties the cache for good: Redis may no longer keep every
// write it acknowledges (its AOF settings changed while the worker ran).
func (c *seenCache) turnOff() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off, c.slots = true, nil
}

// seenWays is the associativity: a set keeps its seenWays most recent
// fingerprints.
const seenWays = 4

// DefaultSeenCache is the seen cache's size in fingerprints when
// Options.SeenCache is 0: 1 MiB.
const DefaultSeenCache = 1 << 16

// newSeenCache returns a cache of at least n fingerprints (n rounded up to
// a power of two sets), nil when n ≤ 0.
func newSeenCache(n int) *seenCache {
	if n <= 0 {
		return nil
	}
	sets := 1
	for sets*seenWays < n {
		sets *= 2
	}
	return &seenCache{slots: make([][16]byte, sets*seenWays), mask: uint64(sets - 1)}
}

func (c *seenCache) set(fp *[16]byte) [][16]byte {
	i := int(binary.LittleEndian.Uint64(fp[:8])&c.mask) * seenWays
	return c.slots[i : i+seenWays]
}

// cacheKey is fingerprint fp as a slot's key; false for what no slot
// holds (not 16 bytes, or all zero: the empty slot's mark).
func cacheKey(fp string) (k [16]byte, ok bool) {
	if len(fp) != len(k) {
		return k, false
	}
	copy(k[:], fp)
	return k, k != [16]byte{}
}

// has reports whether fingerprint fp (16 bytes) is known to be in the
// crawl's seen set.
func (c *seenCache) has(fp string) bool {
	k, ok := cacheKey(fp)
	if c == nil || !ok {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.off {
		return false
	}
	for _, s := range c.set(&k) {
		if s == k {
			return true
		}
	}
	return false
}

// add records fingerprints that a committed script left in the seen set.
func (c *seenCache) add(fps []string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.off {
		return
	}
	for _, fp := range fps {
		k, ok := cacheKey(fp)
		if !ok {
			continue
		}
		s := c.set(&k)
		if s[0] == k {
			continue
		}
		// Most recent first: the set's entries move down one, the
		// oldest (or k, if it was further down) drops out.
		j := seenWays - 1
		for i := 1; i < seenWays; i++ {
			if s[i] == k {
				j = i
				break
			}
		}
		copy(s[1:j+1], s[:j])
		s[0] = k
	}
}
