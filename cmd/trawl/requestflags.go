package main

import (
	"github.com/trawl-crawler/trawl/crawler"
)

// requestFlags defines the flags of page requisites and of the requests
// users shape (they may change on resume: they say how to fetch, not what
// the crawl is).
func requestFlags(fs *crawlFlagSet, c *crawler.Config) {
	fs.BoolVar(&c.PageRequisites, "page-requisites", c.PageRequisites,
		"also fetch what pages need to render (stylesheets, scripts, images, icons, fonts, CSS url() and @import), as wget -p")
	fs.StringVar(&c.RequisiteHosts, "requisite-hosts", c.RequisiteHosts,
		"where requisites may come from: `domain` (the crawl's scope or the page's registrable domain) or any")
	fs.group("Page requisites", "page-requisites", "requisite-hosts")
	fs.Var(stringsFlag{&c.Headers}, "header", "send `'Name: value'` to the seeds' hosts, or 'HOST=Name: value' to HOST (repeatable; not stored: give it again on resume)")
	fs.StringVar(&c.CookiesFile, "cookies", c.CookiesFile, "load cookies from `FILE` (Netscape cookies.txt, as wget and curl write)")
	fs.BoolVar(&c.NoCookies, "no-cookies", c.NoCookies, "keep no cookie jar (by default cookies servers set are sent back and kept with the crawl)")
	fs.StringVar(&c.NetrcFile, "netrc", c.NetrcFile, "send HTTP Basic credentials from a netrc `FILE` to the hosts it names")
	fs.group("Requests (sent only to the hosts they belong to, never stored in clear)", "header", "cookies", "no-cookies", "netrc")
}
