package torture

import (
	"bufio"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// CountJSONL reads a JSONL export and returns how many lines hold each
// "url", and the number of lines.
func CountJSONL(path string) (map[string]int, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("read export: %w", err)
	}
	defer f.Close()
	counts := map[string]int{}
	lines := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 256<<20)
	for sc.Scan() {
		var rec struct {
			URL string `json:"url"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return nil, 0, fmt.Errorf("read export %s line %d: %w", path, lines+1, err)
		}
		counts[rec.URL]++
		lines++
	}
	if err := sc.Err(); err != nil {
		return nil, 0, fmt.Errorf("read export %s: %w", path, err)
	}
	return counts, lines, nil
}

// Snapshot returns the SHA-256 of every regular file under root (or of root
// itself if it is a file), keyed by path relative to root, so a test can
// prove that trawl left foreign files byte-identical.
func Snapshot(root string) (map[string][sha256.Size]byte, error) {
	snap := map[string][sha256.Size]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			if d.IsDir() {
				snap[rel(root, p)+"/"] = [sha256.Size]byte{}
			}
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		snap[rel(root, p)] = sha256.Sum256(b)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", root, err)
	}
	return snap, nil
}

func rel(root, p string) string {
	r, err := filepath.Rel(root, p)
	if err != nil {
		return p
	}
	return r
}

// DiffSnapshots lists the paths that were added, removed or changed
// between before and after.
func DiffSnapshots(before, after map[string][sha256.Size]byte) []string {
	var diff []string
	for p, h := range before {
		if h2, ok := after[p]; !ok {
			diff = append(diff, "removed "+p)
		} else if h2 != h {
			diff = append(diff, "changed "+p)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			diff = append(diff, "added "+p)
		}
	}
	return diff
}
