// Package robots decides, per RFC 9309, whether trawl may fetch a path.
//
// Parse reads a robots.txt body into Rules; Allowed answers for one product
// token and one request target; FromStatus maps a fetch outcome (2xx, 4xx,
// 5xx/network failure) to Rules per RFC 9309 §2.3.1. The package is pure: no
// network, no clock, no package-level mutable state.
//
// Invariants:
//   - Parse never fails. A line it does not understand is skipped; no single
//     line can void the file. Rules outside any group are ignored.
//   - Only the first MaxSize bytes count; a line cut by the limit is dropped.
//   - "/robots.txt" is always allowed, even under DisallowAll.
//   - Group selection: the agent's product token (leading [A-Za-z_-] run,
//     case-insensitive) must equal a group's token exactly; all groups that
//     name it are merged; only if none does are the "*" groups used (also
//     merged); an agent with no applicable group is allowed everything.
//     Consecutive user-agent lines open one group; any rule line closes the
//     run. Blank lines, comments, Sitemap and unknown lines do not.
//   - Matching: patterns are anchored at the path start, '*' matches any
//     octets, a final '$' anchors the end. The matching rule with the most
//     octets in its (normalised) pattern wins; Allow wins a tie; no match
//     means allowed. Empty Allow/Disallow values match nothing.
//   - Both sides are normalised before comparison: %XX of unreserved
//     characters decoded, other escapes upper-cased, non-ASCII octets (raw
//     UTF-8 in rules) percent-encoded. A literal '*' or '$' in a URL matches
//     only a rule that spells it %2A / %24 (RFC 9309 §2.2.3).
//     The escapes are read and written by links.WriteNormalEscape and
//     links.WriteEscape, the same code that normalises canonical URLs.
//
// Relation to github.com/temoto/robotstxt v1.1.2. Its line tokenising and
// group-accumulation approach (consecutive user-agent lines share a group,
// rules before any user-agent are not attached) were the model for parse.go,
// but the matcher is trawl's own, because temoto departs from RFC 9309 in
// ways that change answers (the conformance test runs temoto on the same
// table and proves each of these):
//   - a tie between Allow and Disallow goes to whichever rule came first,
//     not to Allow;
//   - wildcard rules are ranked by the length of the compiled regexp
//     (`\.` and `.*` count extra), not by the rule's octets;
//   - a group whose name is a prefix of the agent ("traw") matches "trawl";
//   - no percent-encoding normalisation: "/%62" does not match "/b", raw
//     UTF-8 in a rule does not match its %-encoded form in the URL;
//   - one bad line (a rule before any user-agent, an unparsable
//     Crawl-delay) makes FromBytes return an error for the whole file;
//   - no size cap, and "/robots.txt" is not implicitly allowed.
//
// Known deviation: RFC 9309 §2.2.2's table also shows a rule's reserved
// characters (":" and "/" inside a query value) matching their %-encoded
// forms in the URL. trawl, like Google's reference implementation, keeps
// reserved characters distinct from their escapes, because "/" vs "%2F" are
// different resources to most servers.
package robots
