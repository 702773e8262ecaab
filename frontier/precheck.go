package frontier

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// bbolt's on-disk meta page, as far as the size check needs it: a 16-byte
// page header, then magic, version, page size, flags, root bucket (16),
// free-list page, high-water page id, txid, checksum (FNV-64a of what
// precedes it). Little-endian on the platforms we build for.
const (
	boltPageHeader = 16
	boltMagic      = 0xED0CDAED
	boltMetaSum    = 56 // bytes of meta covered by the checksum
)

// checkFileSize refuses a bbolt file shorter than its committed high-water
// mark. bbolt itself panics on such a file in a goroutine of its own
// (recovering the free list), so the check must come before bolt.Open.
// Files that are not bbolt files pass, for bolt.Open to refuse.
func checkFileSize(path string) error {
	fd, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer fd.Close()
	fi, err := fd.Stat()
	if err != nil || fi.Size() == 0 {
		return err
	}
	var best struct {
		ok         bool
		txid, need uint64
	}
	pageSize := uint64(0)
	for i := 0; i < 2; i++ {
		off := int64(i) * int64(pageSize)
		if i == 1 && pageSize == 0 {
			break
		}
		buf := make([]byte, boltPageHeader+boltMetaSum+8)
		if _, err := fd.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		m := buf[boltPageHeader:]
		if binary.LittleEndian.Uint32(m[0:4]) != boltMagic {
			continue
		}
		h := fnv.New64a()
		h.Write(m[:boltMetaSum])
		if h.Sum64() != binary.LittleEndian.Uint64(m[boltMetaSum:]) {
			continue
		}
		ps := uint64(binary.LittleEndian.Uint32(m[8:12]))
		if i == 0 {
			pageSize = ps
		}
		pgid := binary.LittleEndian.Uint64(m[40:48])
		txid := binary.LittleEndian.Uint64(m[48:56])
		if !best.ok || txid > best.txid {
			best.ok, best.txid, best.need = true, txid, pgid*ps
		}
	}
	if best.ok && uint64(fi.Size()) < best.need {
		return fmt.Errorf("%w: file is truncated (%d bytes, its last commit needs %d)", ErrNotFrontier, fi.Size(), best.need)
	}
	return nil
}
