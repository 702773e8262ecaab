package crawler

// Version is trawl's version: in the default User-Agent, in `trawl
// version` and in the warcinfo of WARC exports.
const Version = "0.1.0-dev"

// ProjectURL is where a site operator who sees trawl in their logs
// learns what it is and how to reach whoever runs it.
const ProjectURL = "https://github.com/trawl-crawler/trawl"

// DefaultUserAgent names the crawler, its version and a contact URL, as
// polite crawlers do ("+URL" is the convention Googlebot and others use).
// Its first word, "trawl", is the token robots.txt groups are matched
// against. Set Config.UserAgent to your own contact for a large crawl.
const DefaultUserAgent = "trawl/" + Version + " (+" + ProjectURL + ")"
