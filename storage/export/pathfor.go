package export

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"net/url"
	"path"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/trawl-crawler/trawl/internal/links"
)

const (
	maxName  = 200 // bytes per path element; below the common 255 limit, leaving room for temp suffixes
	maxQuery = 80  // longer query strings are replaced by a hash in the file name
)

// PathFor maps a URL to a relative path inside the mirror tree (exported for
// fuzzing); it never escapes. The result uses '/' separators and is a clean,
// local path: HOST[:PORT]/dir/.../file.
//
// Rules (docs/STORAGE.md has the full list): the port is kept only when not
// the scheme default; percent-escapes are decoded per element and "." / ".."
// elements (also %2e%2e) are resolved, clamped at the host; a path ending in /
// maps to index.html; HTML files get a .html suffix unless they end in .html
// or .htm, other files without an extension get one from a small table, so
// "/a" (a.html) and "/a/b" (a/b.html) do not collide; a query string is folded
// in as name@query.ext (a hash when long); characters unsafe on common file
// systems, '%', invalid UTF-8, Windows-reserved names and names that are only
// dots are %XX-escaped; elements over 200 bytes are truncated and get a hash.
func PathFor(rawURL string, contentType string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("export: path for %q: %w", rawURL, err)
	}
	if u.Host == "" {
		return "", fmt.Errorf("export: path for %q: no host", rawURL)
	}
	// HOST or HOST_PORT: ':' is not allowed in Windows file names, '_' cannot
	// appear in a port, and the port is dropped when it is the scheme default.
	host := strings.ToLower(u.Hostname())
	if p := u.Port(); p != "" && p != links.DefaultPort(u.Scheme) {
		host += "_" + p
	}
	elems := []string{sanitizeName(host)}

	raw := u.EscapedPath()
	segs := strings.Split(raw, "/")
	isDir := raw == "" || strings.HasSuffix(raw, "/")
	var dirs []string
	for i, s := range segs {
		dec, err := url.PathUnescape(s)
		if err != nil {
			dec = s
		}
		switch dec {
		case "", ".":
			if i == len(segs)-1 && dec == "." {
				isDir = true
			}
			continue
		case "..":
			if len(dirs) > 0 {
				dirs = dirs[:len(dirs)-1]
			}
			if i == len(segs)-1 {
				isDir = true
			}
			continue
		}
		dirs = append(dirs, dec)
	}
	file := "index.html"
	if !isDir && len(dirs) > 0 {
		file = dirs[len(dirs)-1]
		dirs = dirs[:len(dirs)-1]
	}
	for _, d := range dirs {
		elems = append(elems, sanitizeName(d))
	}
	elems = append(elems, fileName(file, u.RawQuery, contentType))

	rel := path.Join(elems...)
	if !filepath.IsLocal(filepath.FromSlash(rel)) || rel != path.Clean(rel) {
		return "", fmt.Errorf("export: path for %q: %q is not local", rawURL, rel) // a bug in the rules above
	}
	return rel, nil
}

// fileName builds the last element: name (+ @query) + extension.
func fileName(name, query, contentType string) string {
	base, ext := splitExt(name)
	media, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		media = strings.ToLower(strings.TrimSpace(strings.Split(contentType, ";")[0]))
	}
	if media == "text/html" || media == "application/xhtml+xml" {
		if e := strings.ToLower(ext); e != ".html" && e != ".htm" {
			base, ext = name, ".html"
		}
	} else if ext == "" {
		ext = extFor[media]
	}
	if query != "" {
		q := query
		if len(q) > maxQuery {
			q = "h" + shortHash(query)
		}
		base += "@" + q
	}
	full := sanitizeName(base + ext)
	return full
}

// splitExt splits a short, plain extension off name ("a.tar.gz" -> "a.tar", ".gz").
func splitExt(name string) (string, string) {
	i := strings.LastIndexByte(name, '.')
	if i <= 0 || len(name)-i > 8 {
		return name, ""
	}
	for _, c := range name[i+1:] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return name, ""
		}
	}
	return name[:i], name[i:]
}

// extFor gives extensions for common types; a fixed table, unlike the
// system MIME database, so the tree is the same on every machine.
var extFor = map[string]string{
	"text/plain": ".txt", "text/css": ".css", "text/javascript": ".js", "application/javascript": ".js",
	"application/json": ".json", "application/xml": ".xml", "text/xml": ".xml", "application/pdf": ".pdf",
	"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/svg+xml": ".svg", "image/webp": ".webp",
}

var windowsReserved = map[string]bool{"CON": true, "PRN": true, "AUX": true, "NUL": true,
	"COM1": true, "COM2": true, "COM3": true, "COM4": true, "COM5": true, "COM6": true, "COM7": true, "COM8": true, "COM9": true,
	"LPT1": true, "LPT2": true, "LPT3": true, "LPT4": true, "LPT5": true, "LPT6": true, "LPT7": true, "LPT8": true, "LPT9": true}

// sanitizeName makes one decoded element safe as a file name on Linux, macOS
// and Windows. '%' is escaped too, so distinct names stay distinct.
func sanitizeName(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		c := s[i]
		switch {
		case r == utf8.RuneError && size <= 1,
			c < 0x20, c == 0x7f,
			size == 1 && strings.IndexByte(`/\:*?"<>|%`, c) >= 0:
			for j := range size {
				fmt.Fprintf(&b, "%%%02X", s[i+j])
			}
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	out := b.String()
	if strings.Trim(out, ".") == "" { // "", ".", "..", "..."
		return strings.Repeat("%2E", max(len(out), 1))
	}
	if stem, _, _ := strings.Cut(out, "."); windowsReserved[strings.ToUpper(stem)] {
		out = fmt.Sprintf("%%%02X", out[0]) + out[1:]
	}
	if last := out[len(out)-1]; last == '.' || last == ' ' { // Windows strips these
		out = out[:len(out)-1] + fmt.Sprintf("%%%02X", last)
	}
	if len(out) > maxName {
		_, ext := splitExt(out)
		cut := maxName - 18 - len(ext)
		for cut > 0 && !utf8.RuneStart(out[cut]) {
			cut--
		}
		out = out[:cut] + "~" + shortHash(s) + ext
	}
	return out
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}
