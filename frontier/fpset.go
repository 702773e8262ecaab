package frontier

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
)

// The seen-set lives in memory, not in bbolt: a B+tree with random keys
// made every large batch rewrite (and hold in the heap) nearly every index
// page, 7 GB of RSS at 10M URLs. fpSet keeps a fingerprint of each URL in
// open-addressing tables, under 8 bytes per URL; the seen bucket holds the
// full 64-bit fingerprints as an append-only log, read back on Open.
//
// The set is split into 4096 shards by the fingerprint's top 12 bits, so
// growing one shard copies 1/4096 of the set, not all of it. A shard stores
// the low 48 bits of each fingerprint in 6 bytes (the top 12 are implied by
// the shard): 60 bits are compared. Shards of fpMappedBytes or more live in
// anonymous mappings outside the Go heap (fpmem_unix.go): the garbage
// collector neither scans them nor counts them when it sizes the heap, so
// the set costs its size in RSS, not twice that.
const (
	fpShardBits   = 12
	fpShards      = 1 << fpShardBits
	fpSlotBytes   = 6
	fpKeyMask     = 1<<48 - 1
	fpMappedBytes = 4096 // one page
)

// fingerprint is the first 8 bytes of SHA-256(url). A new URL is taken for
// a seen one if its 60 compared bits equal those of one of the n URLs
// already held: over a whole crawl of N URLs that happens with probability
// about N²/2^61, 1 in 23,000 for N = 10M (and 1 in 2.3 million for 1M).
func fingerprint(url string) uint64 {
	h := sha256.Sum256([]byte(url))
	return binary.BigEndian.Uint64(h[:8])
}

// fpSet is a set of fingerprints. It is not safe for concurrent use: the
// writer goroutine owns it (Open fills it before the writer starts).
//
// With payloads (newFPSet(true): a crawl with a depth limit keeps shortest
// depths), every slot also holds a 40-bit payload next to its key: the
// URL's seq (34 bits) and its smallest known depth (6 bits, saturating at
// depthSat). It is what lets a rediscovery at a smaller depth find the URL's
// record without an index on disk, for 5 more bytes a slot (11 in all).
type fpSet struct {
	shards [fpShards]fpShard
	n      int
	stride int // bytes a slot: fpSlotBytes, or fpSlotBytes+fpPayloadBytes with payloads
}

// Payload layout (see fpSet).
const (
	fpPayloadBytes = 5
	payloadSeqBits = 34
	payloadSeqMask = 1<<payloadSeqBits - 1
	// depthSat is the largest depth a payload holds exactly; a URL at
	// depthSat or deeper has its exact depth read from its record.
	depthSat = 1<<(8*fpPayloadBytes-payloadSeqBits) - 1
	// maxPayloadSeq is the largest seq a payload holds: a frontier that
	// keeps shortest depths refuses URLs past it (17 billion).
	maxPayloadSeq = payloadSeqMask
)

func newFPSet(payloads bool) *fpSet {
	s := &fpSet{stride: fpSlotBytes}
	if payloads {
		s.stride += fpPayloadBytes
	}
	return s
}

// payloads reports whether slots hold payloads.
func (s *fpSet) payloads() bool { return s.stride > fpSlotBytes }

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

// slotRef names one slot of the set; valid until the next insert.
type slotRef struct {
	sh *fpShard
	i  int
}

// seqDepth decodes a slot's payload: the URL's seq and its smallest known
// depth, capped at depthSat.
func (r slotRef) seqDepth() (seq uint64, depth int) {
	p := r.sh.payload(r.i)
	return p & payloadSeqMask, int(p >> payloadSeqBits)
}

// setSeqDepth stores seq and depth (capped at depthSat) in the slot.
func (r slotRef) setSeqDepth(seq uint64, depth int) {
	r.sh.setPayload(r.i, seq|uint64(min(depth, depthSat))<<payloadSeqBits)
}

// add inserts fp and reports whether it was new. It fails only if memory
// for a larger table cannot be mapped.
func (s *fpSet) add(fp uint64) (bool, error) {
	_, fresh, err := s.find(fp)
	return fresh, err
}

// find returns fp's slot, inserting fp if it was not held (fresh). A new
// slot's payload is zero.
func (s *fpSet) find(fp uint64) (slotRef, bool, error) {
	sh := &s.shards[shardOf(fp)]
	// Grow at 7/8 full: linear probing stays short (a miss probes ~8
	// slots on average, one or two cache lines).
	if (sh.n+1)*8 > sh.size*7 {
		if err := s.grow(shardOf(fp)); err != nil {
			return slotRef{}, false, err
		}
	}
	k := keyOf(fp)
	for i := sh.start(k); ; {
		switch sh.at(i) {
		case k:
			return slotRef{sh, i}, false, nil
		case 0:
			sh.set(i, k)
			sh.n++
			s.n++
			return slotRef{sh, i}, true, nil
		}
		if i++; i == sh.size {
			i = 0
		}
	}
}

// lookup returns fp's slot if the set holds fp.
func (s *fpSet) lookup(fp uint64) (slotRef, bool) {
	sh := &s.shards[shardOf(fp)]
	if sh.size == 0 {
		return slotRef{}, false
	}
	k := keyOf(fp)
	for i := sh.start(k); ; {
		switch sh.at(i) {
		case k:
			return slotRef{sh, i}, true
		case 0:
			return slotRef{}, false
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
func (s *fpSet) grow(i int) error {
	size := s.shards[i].size * 5 / 4
	if size == 0 {
		size = int(8*stagger(i) + 0.5)
	}
	return s.resize(i, size)
}

// stagger is shard i's size factor, 1.25^(i/4096), in [1, 1.25).
func stagger(i int) float64 { return math.Pow(1.25, float64(i)/fpShards) }

// reserve sizes every shard for n fingerprints in all (Open knows how many
// the log holds), keeping the stagger: it saves rehashing 10M fingerprints
// through a dozen growths, most of the time Open took at 10M URLs.
func (s *fpSet) reserve(n int) error {
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
func (s *fpSet) resize(i, size int) error {
	if s.stride == 0 {
		s.stride = fpSlotBytes // the zero fpSet has no payloads
	}
	sh := &s.shards[i]
	nb := size*s.stride + 8
	var slots, mapped []byte
	if nb >= fpMappedBytes {
		var err error
		if mapped, err = mapBytes(nb); err != nil {
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
		unmapBytes(old.mapped)
	}
	return nil
}

// free returns the mapped tables to the system; the set is empty after.
func (s *fpSet) free() {
	for i := range s.shards {
		sh := &s.shards[i]
		if sh.mapped != nil {
			unmapBytes(sh.mapped)
		}
		*sh = fpShard{}
	}
	s.n = 0
}
