package redisfrontier

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/trawl-crawler/trawl/frontier"
)

// A queued URL is a sorted-set member: its seq (8 bytes, big-endian, so
// members of equal score sort FIFO) then its record. The seq is assigned
// in Redis when the URL is first added; Go sends the record only.

// record encodes what a lease needs of an item: depth, attempt, redirect
// count, URL, parent and tag, as uvarints and length-prefixed strings.
func record(url, parent, tag string, depth, attempt, redirs int) []byte {
	b := make([]byte, 0, 8+len(url)+len(parent))
	b = binary.AppendUvarint(b, uint64(depth))
	b = binary.AppendUvarint(b, uint64(attempt))
	b = binary.AppendUvarint(b, uint64(redirs))
	b = binary.AppendUvarint(b, uint64(len(url)))
	b = append(b, url...)
	b = binary.AppendUvarint(b, uint64(len(parent)))
	b = append(b, parent...)
	b = binary.AppendUvarint(b, uint64(len(tag)))
	return append(b, tag...)
}

// entry is a decoded member.
type entry struct {
	seq                    string // the member's first 8 bytes
	url, parent, tag       string
	depth, attempt, redirs int
}

var errBadMember = errors.New("malformed queue member")

func decodeMember(m string) (entry, error) {
	if len(m) < 8 {
		return entry{}, errBadMember
	}
	e := entry{seq: m[:8]}
	b := []byte(m[8:])
	var vals [3]uint64
	for i := range vals {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return entry{}, errBadMember
		}
		vals[i], b = v, b[n:]
	}
	e.depth, e.attempt, e.redirs = int(vals[0]), int(vals[1]), int(vals[2])
	for _, s := range []*string{&e.url, &e.parent, &e.tag} {
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return entry{}, errBadMember
		}
		*s, b = string(b[n:n+int(l)]), b[n+int(l):]
	}
	return e, nil
}

// fingerprint is the seen-set key of a URL: 16 bytes of SHA-256. Two URLs
// collide with probability about N²/2^129, nothing at any crawl size: no
// URL is lost to a false "seen" (no Bloom filter).
func fingerprint(url string) string {
	s := sha256.Sum256([]byte(url))
	return string(s[:16])
}

func validItem(it frontier.Item) error {
	switch {
	case it.URL == "":
		return errors.New("empty URL")
	case len(it.Host) > 0xffff:
		return fmt.Errorf("host of %q longer than 65535 bytes", it.URL)
	case it.Depth < 0:
		return fmt.Errorf("negative depth for %q", it.URL)
	case it.Redirects < 0:
		return fmt.Errorf("negative redirect count for %q", it.URL)
	case len(it.Tag) > frontier.MaxTag:
		return fmt.Errorf("tag of %q longer than %d bytes", it.URL, frontier.MaxTag)
	}
	for i := 0; i < len(it.Host); i++ {
		if it.Host[i] == 0 {
			return fmt.Errorf("host of %q holds a NUL byte", it.URL)
		}
	}
	return nil
}
