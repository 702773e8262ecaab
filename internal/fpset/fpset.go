// Package fpset is a compact set of 64-bit fingerprints, with an optional
// 40-bit payload per member, built for a crawl frontier's seen-set: under 8
// bytes a member (13 with payloads), growth that copies 1/4096 of the set at
// a time, and tables outside the Go heap. It is not safe for concurrent use.
package fpset

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/trawl-crawler/trawl/internal/offheap"
)

// Why it exists: trawl's seen-set lives in memory, not in bbolt, because a
// B+tree with random keys made every large batch rewrite (and hold in the
// heap) nearly every index page. The frontier keeps the full fingerprints
// as an append-only log on disk and fills a Set from it on open.
//
// The set is split into 4096 shards by the fingerprint's top 12 bits, so
// growing one shard copies 1/4096 of the set, not all of it. A shard stores
// the low 48 bits of each fingerprint in 6 bytes (the top 12 are implied by
// the shard): 60 bits are compared. Shards of fpMappedBytes or more live in
// anonymous mappings outside the Go heap (internal/offheap): the garbage
// collector neither scans them nor counts them when it sizes the heap, so
// the set costs its size in RSS, not twice that.
const (
	fpShardBits   = 12
	fpShards      = 1 << fpShardBits
	fpSlotBytes   = 6
	fpKeyMask     = 1<<48 - 1
	fpMappedBytes = 4096 // one page
)

// Set is a set of fingerprints. With payloads (New(true)) every slot also
// holds a PayloadBits-bit value next to its key, for 5 more bytes a slot
// (11 in all): the frontier keeps a URL's seq and smallest depth there.
type Set struct {
	shards [fpShards]fpShard
	n      int
	stride int // bytes a slot: fpSlotBytes, or fpSlotBytes+fpPayloadBytes with payloads
}

// PayloadBits is the width of a slot's payload.
const PayloadBits = 8 * fpPayloadBytes

const fpPayloadBytes = 5

// New returns an empty set; with payloads, every member carries a payload.
func New(payloads bool) *Set {
	s := &Set{stride: fpSlotBytes}
	if payloads {
		s.stride += fpPayloadBytes
	}
	return s
}

// Payloads reports whether slots hold payloads.
func (s *Set) Payloads() bool { return s.stride > fpSlotBytes }

// Len is how many fingerprints the set holds.
func (s *Set) Len() int { return s.n }

// Bytes is the memory the set's tables take (heap and mapped).
func (s *Set) Bytes() int64 {
	var b int64
	for i := range s.shards {
		b += int64(len(s.shards[i].slots))
	}
	return b
}

// fpShard is a linear-probing table of 48-bit keys, stride bytes a slot
// (the key, then the payload if any), little-endian; an all-zero key is an
// empty slot (key 0 is stored as 1).
type fpShard struct {
	slots  []byte // stride*size, plus 8 bytes so a key or payload reads as 8
	size   int    // slots
	stride int    // bytes a slot (the set's stride)
	n      int    // keys held
	mapped []byte // the mapping behind slots, nil if slots is on the heap
}

func shardOf(fp uint64) int { return int(fp >> (64 - fpShardBits)) }

// keyOf is what a shard stores for fp: its low 48 bits, never 0.
func keyOf(fp uint64) uint64 {
	if k := fp & fpKeyMask; k != 0 {
		return k
	}
	return 1
}

// start is the first slot to probe for key k: bits 16..47 scaled to the
// table size. (It must depend on the stored key alone: grow rehashes.)
func (s *fpShard) start(k uint64) int {
	return int(uint64(uint32(k>>16)) * uint64(s.size) >> 32)
}

func (s *fpShard) at(i int) uint64 {
	return binary.LittleEndian.Uint64(s.slots[i*s.stride:]) & fpKeyMask
}

func (s *fpShard) set(i int, k uint64) {
	binary.LittleEndian.PutUint32(s.slots[i*s.stride:], uint32(k))
	binary.LittleEndian.PutUint16(s.slots[i*s.stride+4:], uint16(k>>32))
}

// payload is slot i's payload (0 if the set has none).
func (s *fpShard) payload(i int) uint64 {
	if s.stride == fpSlotBytes {
		return 0
	}
	return binary.LittleEndian.Uint64(s.slots[i*s.stride+fpSlotBytes:]) & (1<<(8*fpPayloadBytes) - 1)
}

func (s *fpShard) setPayload(i int, p uint64) {
	o := i*s.stride + fpSlotBytes
	binary.LittleEndian.PutUint32(s.slots[o:], uint32(p))
	s.slots[o+4] = byte(p >> 32)
}

// Ref names one member's slot; valid until the next insert.
type Ref struct {
	sh *fpShard
	i  int
}

// Payload is the member's payload (0 for a new member, or without payloads).
func (r Ref) Payload() uint64 { return r.sh.payload(r.i) }

// SetPayload stores p (its low PayloadBits bits) with the member; a no-op
// in a set without payloads.
func (r Ref) SetPayload(p uint64) {
	if r.sh.stride > fpSlotBytes {
		r.sh.setPayload(r.i, p&(1<<PayloadBits-1))
	}
}

// Add inserts fp and reports whether it was new. It fails only if memory
// for a larger table cannot be mapped.
func (s *Set) Add(fp uint64) (bool, error) {
	_, fresh, err := s.Find(fp)
	return fresh, err
}

// Find returns fp's slot, inserting fp if it was not held (fresh). A new
// slot's payload is zero.
func (s *Set) Find(fp uint64) (Ref, bool, error) {
	sh := &s.shards[shardOf(fp)]
	// Grow at 7/8 full: linear probing stays short (a miss probes ~8
	// slots on average, one or two cache lines).
	if (sh.n+1)*8 > sh.size*7 {
		if err := s.grow(shardOf(fp)); err != nil {
			return Ref{}, false, err
		}
	}
	k := keyOf(fp)
	for i := sh.start(k); ; {
		switch sh.at(i) {
		case k:
			return Ref{sh, i}, false, nil
		case 0:
			sh.set(i, k)
			sh.n++
			s.n++
			return Ref{sh, i}, true, nil
		}
		if i++; i == sh.size {
			i = 0
		}
	}
}

// Lookup returns fp's slot if the set holds fp.
func (s *Set) Lookup(fp uint64) (Ref, bool) {
	sh := &s.shards[shardOf(fp)]
	if sh.size == 0 {
		return Ref{}, false
	}
	k := keyOf(fp)
	for i := sh.start(k); ; {
		switch sh.at(i) {
		case k:
			return Ref{sh, i}, true
		case 0:
			return Ref{}, false
		}
		if i++; i == sh.size {
			i = 0
		}
	}
}

// grow moves shard i to a table 1.25 times larger. Fingerprints are
// uniform, so all shards fill at the same pace: were they the same size
// they would all grow at once, and the whole set would swing between 7/8
// and 7/10 full. Shard i therefore starts at 8·1.25^(i/4096) slots, which
// spreads the growth points evenly (average load ~0.78 at any size).
func (s *Set) grow(i int) error {
	size := s.shards[i].size * 5 / 4
	if size == 0 {
		size = int(8*stagger(i) + 0.5)
	}
	return s.resize(i, size)
}

// stagger is shard i's size factor, 1.25^(i/4096), in [1, 1.25).
func stagger(i int) float64 { return math.Pow(1.25, float64(i)/fpShards) }

// Reserve sizes every shard for n fingerprints in all (a caller filling it from a log knows
// how many it holds), keeping the stagger: it saves rehashing 10M fingerprints
// through a dozen growths, most of the time Open took at 10M URLs.
func (s *Set) Reserve(n int) error {
	for i := range s.shards {
		size := int(float64(n)/fpShards*8/7*stagger(i)) + 8
		if size > s.shards[i].size {
			if err := s.resize(i, size); err != nil {
				return err
			}
		}
	}
	return nil
}

// resize moves shard i to a table of size slots.
func (s *Set) resize(i, size int) error {
	if s.stride == 0 {
		s.stride = fpSlotBytes // the zero Set has no payloads
	}
	sh := &s.shards[i]
	nb := size*s.stride + 8
	var slots, mapped []byte
	if nb >= fpMappedBytes {
		var err error
		if mapped, err = offheap.Alloc(nb); err != nil {
			return fmt.Errorf("seen-set: grow a shard to %d slots: %w", size, err)
		}
		slots = mapped
	} else {
		slots = make([]byte, nb)
	}
	old := *sh
	sh.slots, sh.size, sh.mapped, sh.stride = slots, size, mapped, s.stride
	for j := range old.size {
		k := old.at(j)
		if k == 0 {
			continue
		}
		p := sh.start(k)
		for sh.at(p) != 0 {
			if p++; p == sh.size {
				p = 0
			}
		}
		sh.set(p, k)
		if s.stride > fpSlotBytes {
			sh.setPayload(p, old.payload(j))
		}
	}
	if old.mapped != nil {
		offheap.Free(old.mapped)
	}
	return nil
}

// Free returns the mapped tables to the system; the set is empty after.
func (s *Set) Free() {
	for i := range s.shards {
		sh := &s.shards[i]
		if sh.mapped != nil {
			offheap.Free(sh.mapped)
		}
		*sh = fpShard{}
	}
	s.n = 0
}
