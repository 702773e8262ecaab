package storage

import "errors"

// ErrNoStore is returned by OpenReader when the directory holds no manifest.
var ErrNoStore = errors.New("storage: no page store")

// ErrCorrupt reports a block with a bad frame or checksum, or a store whose
// files disagree with a checkpoint. The wrapping error names segment and offset.
var ErrCorrupt = errors.New("storage: corrupt")
