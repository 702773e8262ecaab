//go:build !linux

package frontier

import bolt "go.etcd.io/bbolt"

// dropMapped does nothing outside Linux (see mapped_linux.go).
func dropMapped(*bolt.DB) error { return nil }

func dropMappedTx(*bolt.DB, *bolt.Tx) error { return nil }

func residentFile() (int64, bool) { return 0, false }
