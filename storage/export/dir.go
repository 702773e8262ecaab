package export

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"strings"
	"syscall"

	"github.com/trawl-crawler/trawl/storage"
)

// dirWriter writes a mirror tree through an os.Root opened on Out, so no
// path, symlink or ".." can lead outside it.
type dirWriter struct {
	o       Options
	root    *os.Root
	links   *mirrorMap      // where each URL's file is; only for --rewrite-links
	written map[string]bool // paths written: "/" and "/index.html" are one file
	files   []string
	bytes   int64
}

func newDirWriter(ctx context.Context, rs []*storage.Reader, o Options) (*dirWriter, error) {
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, fmt.Errorf("export dir: %w", err)
	}
	root, err := os.OpenRoot(o.Out)
	if err != nil {
		return nil, fmt.Errorf("export dir: %w", err)
	}
	w := &dirWriter{o: o, root: root, written: map[string]bool{}}
	if o.RewriteLinks {
		// First pass over the same snapshots: where will every page go?
		w.links = newMirrorMap()
		err := scanStores(ctx, rs, false, func(src int, rec *storage.Record) error {
			w.links.add(rec, o.filter(src, rec) == "")
			return nil
		})
		if err != nil {
			root.Close()
			return nil, fmt.Errorf("export dir: map pages: %w", err)
		}
	}
	return w, nil
}

func (w *dirWriter) write(_ int, r *storage.Record) (bool, string, error) {
	rel, err := PathFor(r.URL, r.ContentType)
	if err != nil {
		return false, skipBadURL, nil
	}
	if w.written[rel] {
		// Another URL already wrote this file ("/" and "/index.html"): one file, counted once.
		return false, skipSameFile, nil
	}
	body := r.Body
	if w.links != nil {
		body = w.links.rewriteFile(r, rel)
	}
	dir := path.Dir(rel)
	if err := w.root.MkdirAll(dir, 0o755); err != nil {
		if errors.Is(err, syscall.ENOTDIR) || errors.Is(err, fs.ErrExist) {
			// A file already holds a prefix of this path (another URL's page): count, don't fail.
			return false, skipConflict, nil
		}
		return false, "", fmt.Errorf("export dir %s: %w", rel, err)
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	tmp := path.Join(dir, ".tmp-"+hex.EncodeToString(rnd[:]))
	f, err := w.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return false, "", fmt.Errorf("export dir %s: %w", rel, err)
	}
	_, err = f.Write(body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		w.root.Remove(tmp)
		return false, "", fmt.Errorf("export dir %s: %w", rel, err)
	}
	if err := w.root.Rename(tmp, rel); err != nil {
		w.root.Remove(tmp)
		if fi, serr := w.root.Lstat(rel); serr == nil && fi.IsDir() {
			// The name is taken by a directory (another URL's prefix): count, don't fail.
			return false, skipConflict, nil
		}
		return false, "", fmt.Errorf("export dir %s: %w", rel, err)
	}
	w.written[rel] = true
	w.files = append(w.files, rel)
	w.bytes += int64(len(body))
	return true, "", nil
}

// relPath is target relative to directory from (both slash paths inside the tree).
func relPath(from, target string) string {
	f := strings.Split(from, "/")
	t := strings.Split(target, "/")
	i := 0
	for i < len(f) && i < len(t)-1 && f[i] == t[i] {
		i++
	}
	var parts []string
	for range f[i:] {
		parts = append(parts, "..")
	}
	parts = append(parts, t[i:]...)
	return percentEscapePath(strings.Join(parts, "/"))
}

// percentEscapePath escapes a file path for use in an href ('%', '?', '#' and spaces matter).
func percentEscapePath(p string) string {
	return (&url.URL{Path: p}).EscapedPath()
}

func (w *dirWriter) close() ([]string, int64, error) {
	if err := w.root.Close(); err != nil {
		return nil, 0, fmt.Errorf("export dir: %w", err)
	}
	return w.files, w.bytes, nil
}

func (w *dirWriter) abort() { w.root.Close() }
