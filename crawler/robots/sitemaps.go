package robots

// MaxSitemaps bounds the Sitemap: lines taken from one robots.txt.
const MaxSitemaps = 50

// Sitemaps returns the values of the Sitemap: lines of a robots.txt body
// (RFC 9309 §2.2.4 leaves them to other specs; sitemaps.org defines them),
// in order, at most MaxSitemaps, within MaxSize. They belong to no group:
// they apply whatever the user agent. The values are as written; the
// caller resolves and checks them.
func Sitemaps(body []byte) []string {
	body = truncate(body)
	var out []string
	for len(body) > 0 && len(out) < MaxSitemaps {
		var line []byte
		line, body = nextLine(body)
		if k, val, ok := splitLine(line); ok && k == keySitemap && val != "" {
			out = append(out, val)
		}
	}
	return out
}
