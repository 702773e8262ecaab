package testweb

import "time"

// Features selects which hazards the synthetic web serves. The zero value is a
// plain site of linked pages with a standard robots.txt on every host.
type Features struct {
	// RobotsVariants serves per-host robots.txt variants: most hosts disallow
	// /private/; one answers 404 (allow all); one answers 503 only for its first
	// robots request (then 200) and has an Allow/Disallow tie (Allow wins) and
	// `*`/`$` patterns; one has a group for "trawl" distinct from "*".
	RobotsVariants bool
	// RobotsDown makes the last RobotsDown hosts (never h0) answer 500 to
	// every robots.txt request: a polite crawler fetches none of their
	// pages (Expected leaves them out) and must not wait for them forever.
	RobotsDown int
	// CrawlDelay, if > 0, makes host h1's robots groups say Crawl-delay: this.
	CrawlDelay time.Duration
	// Base makes some pages use <base href> (absolute and relative).
	Base bool
	// Nofollow adds rel=nofollow links, <meta name=robots content=nofollow>
	// pages and X-Robots-Tag: nofollow responses; their only targets must not
	// be crawled.
	Nofollow bool
	// Malformed adds pages with unclosed tags, stray </html>, unquoted
	// attributes and links in odd places.
	Malformed bool
	// Redirects adds redirect chains (301/302/307/308, up to 3 hops, cross-host)
	// and one redirect loop (a→b→a).
	Redirects bool
	// Spellings links one page per host under many spellings that canonicalise
	// equal.
	Spellings bool
	// Transient makes some URLs answer 503, 500 or 429 on their first request
	// only, then 200.
	Transient bool
	// NotFound adds links to 404 and 410 answers.
	NotFound bool
	// Binaries adds links to /files/N.bin and /img/N.png.
	Binaries bool
	// Huge adds one 50 MB streamed page.
	Huge bool
	// Trap adds an infinite calendar /cal/YYYY/MM.
	Trap bool
	// Trickle adds one page that sends 1 byte every 50 ms for 2 s.
	Trickle bool
	// Requisites gives every generated page a stylesheet (which @imports
	// another, with images, a font, a data: URL and a robots-blocked
	// image), a script and an "alternate icon"; each root also has images
	// with srcset, a style attribute and an off-site image. None of them
	// is a page: Expected does not change. Not in Clean or Hostile.
	Requisites bool
}

// Clean returns the features of a well-behaved but realistic site:
// RobotsVariants, Base, Nofollow and Malformed on, everything else off.
func Clean() Features {
	return Features{RobotsVariants: true, Base: true, Nofollow: true, Malformed: true}
}

// Hostile returns every feature on except CrawlDelay.
func Hostile() Features {
	return Features{
		RobotsVariants: true, Base: true, Nofollow: true, Malformed: true,
		Redirects: true, Spellings: true, Transient: true, NotFound: true,
		Binaries: true, Huge: true, Trap: true, Trickle: true,
	}
}
