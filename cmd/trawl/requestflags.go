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
}
