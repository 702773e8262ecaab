package storage

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/trawl-crawler/trawl/internal/atomicfile"
)

const (
	manifestName = "manifest.json"
	segmentsDir  = "segments"
)

// manifest is what readers may see: the committed end of every segment.
// Written only by the store (atomically: temp + fsync + rename).
type manifest struct {
	Version    int               `json:"version"`
	Checkpoint string            `json:"checkpoint"` // hex of the encoded checkpoint ("" = empty store)
	Records    int64             `json:"records"`
	Bytes      int64             `json:"bytes"` // sum of segment ends: framed, compressed bytes
	Segments   []manifestSegment `json:"segments"`
	UpdatedAt  time.Time         `json:"updated_at"`
}

// manifestSegment is one segment file and how much of it is committed.
type manifestSegment struct {
	Name string `json:"name"` // file name inside DIR/segments
	End  int64  `json:"end"`  // committed end offset; readers never read past it
}

func segmentName(n uint32) string { return fmt.Sprintf("%06d.seg", n) }

// buildManifest describes position p given the final sizes of closed segments
// (sizes[i] is the size of segment i+1).
func buildManifest(p position, sizes []int64, now time.Time) manifest {
	m := manifest{Version: 1, Records: p.records, UpdatedAt: now.UTC(), Segments: []manifestSegment{}}
	if p.seg == 0 {
		return m
	}
	m.Checkpoint = hex.EncodeToString(p.encode())
	for n := uint32(1); n <= p.seg; n++ {
		end := p.off
		if n < p.seg {
			end = sizes[n-1]
		}
		m.Segments = append(m.Segments, manifestSegment{Name: segmentName(n), End: end})
		m.Bytes += end
	}
	return m
}

// writeManifest atomically replaces DIR/manifest.json.
func writeManifest(dir string, m manifest) error {
	data, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("storage: encode manifest: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, manifestName), data, 0o644); err != nil {
		return fmt.Errorf("storage: write manifest: %w", err)
	}
	return nil
}

// readManifest loads DIR/manifest.json; ErrNoStore if absent.
func readManifest(dir string) (manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, manifestName))
	if errors.Is(err, fs.ErrNotExist) {
		return manifest{}, fmt.Errorf("%w in %s", ErrNoStore, dir)
	}
	if err != nil {
		return manifest{}, fmt.Errorf("storage: read manifest: %w", err)
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return manifest{}, fmt.Errorf("%w: manifest in %s: %v", ErrCorrupt, dir, err)
	}
	if m.Version != 1 {
		return manifest{}, fmt.Errorf("storage: manifest in %s: unsupported version %d", dir, m.Version)
	}
	return m, nil
}
