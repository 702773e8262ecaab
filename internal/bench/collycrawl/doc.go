// Command collycrawl is the benchmark's colly baseline: the crawler a
// typical colly user writes. colly.Async(true), robots.txt obeyed (set
// explicitly: colly v2.3.0's Init sets IgnoreRobotsTxt = true), OnHTML("a[href]") visiting every link, a URL filter for the
// site, colly's proxy set to the test web, and either one
// LimitRule{DomainGlob: "*", Parallelism: N} or, with -per-host, one rule
// per host with that parallelism.
//
// It deliberately adds nothing a typical user would not: no retries, no
// nofollow handling, no URL normalisation beyond colly's own. The user agent
// starts with "trawl" so robots.txt groups match the ones the judge applies.
package main
