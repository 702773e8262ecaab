package links

import (
	"errors"

	"github.com/PuerkitoBio/goquery"
)

// ErrScheme reports a URL whose scheme is not http or https; such URLs are
// ignored and never followed.
var ErrScheme = errors.New("links: scheme is not http or https")

// ErrInvalid reports a URL that WHATWG parsing rejects.
var ErrInvalid = errors.New("links: invalid URL")

// Canonical resolves ref against base ("" means ref must be absolute) and
// returns the canonical form used for dedup.
func Canonical(ref, base string) (string, error) { return "", ErrInvalid }

// HostKey returns the politeness key of a canonical URL: the lower-case
// host plus ":port" when the port is not the scheme's default.
func HostKey(canonical string) string { return "" }

// Origin returns scheme://host[:port] of a canonical URL.
func Origin(canonical string) string { return "" }

// Domain returns the registrable domain (eTLD+1) of host.
func Domain(host string) string { return host }

// Link is one outgoing link found on a page.
type Link struct {
	URL      string // canonical absolute URL
	Source   string // "a", "area", "link", "meta-refresh", "canonical", "frame", "iframe"
	Nofollow bool   // rel="nofollow" on the element (the caller decides whether to follow)
}

// Page is what a parsed HTML page says about its links.
type Page struct {
	Base         string // effective base URL (after <base href>)
	Links        []Link // deduplicated by URL, document order
	MetaNofollow bool   // <meta name="robots"|"trawl" content="...nofollow..."> (also "none")
	MetaNoindex  bool
}

// Extract finds links in doc, resolving against pageURL and <base href>.
func Extract(doc *goquery.Document, pageURL string, maxLinks int) Page { return Page{} }

// XRobotsNofollow reports whether X-Robots-Tag header values say nofollow
// (or none) for all agents or for agent.
func XRobotsNofollow(values []string, agent string) bool { return false }
