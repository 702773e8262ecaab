package storage

import (
	"encoding/binary"
	"fmt"
)

// checkpointV1 is the first byte of every encoded checkpoint.
const checkpointV1 = 0x01

// checkpointLen is the encoded size: version, segment, offset, records.
const checkpointLen = 1 + 4 + 8 + 8

// position is a point in the store: everything before byte off of segment seg
// (and all of every earlier segment), holding records records in total.
// seg 0 means the empty store.
type position struct {
	seg     uint32
	off     int64
	records int64
}

// less orders positions; records grows with the position, so it is not compared.
func (p position) less(q position) bool {
	if p.seg != q.seg {
		return p.seg < q.seg
	}
	return p.off < q.off
}

// encode returns the checkpoint bytes. Big-endian fields make bytes.Compare
// agree with position order.
func (p position) encode() []byte {
	b := make([]byte, 0, checkpointLen)
	b = append(b, checkpointV1)
	b = binary.BigEndian.AppendUint32(b, p.seg)
	b = binary.BigEndian.AppendUint64(b, uint64(p.off))
	b = binary.BigEndian.AppendUint64(b, uint64(p.records))
	return b
}

// decodeCheckpoint parses a checkpoint; nil means the empty store.
func decodeCheckpoint(b []byte) (position, error) {
	if b == nil {
		return position{}, nil
	}
	if len(b) != checkpointLen || b[0] != checkpointV1 {
		return position{}, fmt.Errorf("storage: checkpoint %x: unknown encoding", b)
	}
	p := position{
		seg:     binary.BigEndian.Uint32(b[1:5]),
		off:     int64(binary.BigEndian.Uint64(b[5:13])),
		records: int64(binary.BigEndian.Uint64(b[13:21])),
	}
	if p.off < 0 || p.records < 0 || (p.seg == 0 && (p.off != 0 || p.records != 0)) {
		return position{}, fmt.Errorf("storage: checkpoint %x: out of range", b)
	}
	return p, nil
}
