package frontier

import (
	"bytes"
	"os"
	"strconv"
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// dropMapped unmaps from this process the pages of bbolt's read-only file
// mapping that it has touched. They are clean page cache (bbolt writes with
// pwrite, not through the map), so the kernel keeps them cached and a later
// read faults them back in from memory; but while mapped they count in the
// process's RSS, and a frontier that has read every page of a 3 GB file
// would report 3 GB. See docs/FRONTIER.md, "Memory".
func dropMapped(db *bolt.DB) error {
	return db.View(func(tx *bolt.Tx) error { return dropMappedTx(db, tx) })
}

// dropMappedTx is dropMapped inside a transaction of db's, which holds
// bbolt's mmap lock: the mapping cannot be replaced (remapped on growth)
// while it runs.
func dropMappedTx(db *bolt.DB, tx *bolt.Tx) error {
	_, _, errno := syscall.Syscall(syscall.SYS_MADVISE, db.Info().Data, uintptr(tx.Size()), syscall.MADV_DONTNEED)
	if errno != 0 {
		return errno
	}
	return nil
}

// residentFile returns the bytes of file-backed pages this process has
// resident (the "shared" field of /proc/self/statm: RssFile + RssShmem):
// the binary's own pages plus what bbolt's map has touched.
func residentFile() (int64, bool) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, false
	}
	f := bytes.Fields(b)
	if len(f) < 3 {
		return 0, false
	}
	pages, err := strconv.ParseInt(string(f[2]), 10, 64)
	if err != nil {
		return 0, false
	}
	return pages * int64(os.Getpagesize()), true
}
