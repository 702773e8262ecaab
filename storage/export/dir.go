package export

import (
	"bytes"
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

	"github.com/PuerkitoBio/goquery"

	"github.com/trawl-crawler/trawl/storage"

	"github.com/trawl-crawler/trawl/internal/links"
)

// dirWriter writes a mirror tree through an os.Root opened on Out, so no
// path, symlink or ".." can lead outside it.
type dirWriter struct {
	o     Options
	root  *os.Root
	paths map[string]string // link key -> relative path, filled only for --rewrite-links
	files []string
	bytes int64
}

func newDirWriter(ctx context.Context, r *storage.Reader, o Options) (*dirWriter, error) {
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, fmt.Errorf("export dir: %w", err)
	}
	root, err := os.OpenRoot(o.Out)
	if err != nil {
		return nil, fmt.Errorf("export dir: %w", err)
	}
	w := &dirWriter{o: o, root: root}
	if o.RewriteLinks {
		// First pass over the same snapshot: where will every page go?
		w.paths = map[string]string{}
		err := r.Scan(ctx, func(rec *storage.Record) error {
			if o.filter(rec) != "" {
				return nil
			}
			if p, err := PathFor(rec.URL, rec.ContentType); err == nil {
				w.paths[linkKey(rec.URL)] = p
			}
			return nil
		})
		if err != nil {
			root.Close()
			return nil, fmt.Errorf("export dir: map pages: %w", err)
		}
	}
	return w, nil
}

func (w *dirWriter) write(r *storage.Record) (bool, string, error) {
	rel, err := PathFor(r.URL, r.ContentType)
	if err != nil {
		return false, skipBadURL, nil
	}
	body := r.Body
	if w.paths != nil && mediaType(r.ContentType) == "text/html" {
		body = w.rewrite(r.URL, rel, body)
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
	w.files = append(w.files, rel)
	w.bytes += int64(len(body))
	return true, "", nil
}

// rewrite makes href/src links to other saved pages relative to rel.
func (w *dirWriter) rewrite(pageURL, rel string, body []byte) []byte {
	base, err := url.Parse(pageURL)
	if err != nil {
		return body
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return body
	}
	changed := false
	for _, attr := range []string{"href", "src"} {
		doc.Find("[" + attr + "]").Each(func(_ int, s *goquery.Selection) {
			v, _ := s.Attr(attr)
			ref, err := url.Parse(strings.TrimSpace(v))
			if err != nil {
				return
			}
			abs := base.ResolveReference(ref)
			target, ok := w.paths[linkKey(abs.String())]
			if !ok {
				return
			}
			out := relPath(path.Dir(rel), target)
			if abs.Fragment != "" {
				out += "#" + abs.Fragment
			}
			s.SetAttr(attr, out)
			changed = true
		})
	}
	if !changed {
		return body
	}
	html, err := doc.Html()
	if err != nil {
		return body
	}
	return []byte(html)
}

// linkKey normalises a URL enough to match links to stored pages: lower-case
// scheme and host, default port and fragment dropped, empty path as "/".
func linkKey(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	if p := u.Port(); p != "" && p == links.DefaultPort(u.Scheme) {
		u.Host = strings.TrimSuffix(u.Host, ":"+p)
	}
	u.Fragment, u.RawFragment = "", ""
	if u.Path == "" {
		u.Path = "/"
	}
	return u.String()
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
