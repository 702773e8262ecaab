// Package storage is trawl's page store: append-only segment files plus a
// manifest, written by one crawler process and read by any number of other
// processes without a lock.
//
// # Layout
//
//	DIR/segments/000001.seg   blocks, appended in crawl order
//	DIR/segments/000002.seg   the next segment after rotation at Options.SegmentSize
//	DIR/manifest.json         what readers may see (atomically replaced)
//	DIR/digests               the digest index's log: bodies stored so far (dedup.go)
//
// Each block is a frame:
//
//	u32 big-endian  n    length of payload
//	u32 big-endian  crc  CRC-32C (Castagnoli) over the 4 length bytes and the payload
//	n bytes         payload: 1 version byte (0x03) + an S2 block of the record encoding
//	                (0x02 without the extension, and 0x01 + raw DEFLATE, are still read)
//
// The record encoding (inside the compression) is a sequence of uvarint-length-prefixed
// strings, varints, and two header maps; see codec.go.
//
// # Invariants
//
//   - A checkpoint names a position (segment number, end offset) and the number
//     of records before it. Checkpoints are totally ordered by that position and
//     their byte encodings compare the same way under bytes.Compare. A
//     checkpoint returned by Append covers that block and every earlier one.
//   - Open(dir, committed) truncates everything beyond committed (bytes in the
//     committed segment, and every later segment), so data written by a process
//     that died before its frontier commit never becomes visible. It first
//     publishes a manifest for committed, so a reader never sees a manifest that
//     points past what Open keeps.
//   - Publish only ever writes checkpoints the frontier has committed, so the
//     manifest never points beyond the durable, committed prefix; a reader reads
//     only within the manifest and therefore never sees a torn tail.
//   - Encode is pure and runs in parallel; Append only copies bytes into
//     an append buffer, which Sync writes just before its fsync (one write
//     per group commit).
//   - A record with Revisit set stores no body; it names an earlier block
//     holding it, which is committed whenever the record is (dedup.go).
package storage
