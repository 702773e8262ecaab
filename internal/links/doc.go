// Package links finds the outgoing links of an HTML page and maps every URL
// to the canonical form trawl uses for dedup, politeness keys and scope.
//
// Canonical parses with WHATWG URL rules (github.com/nlnwa/whatwg-url), not
// net/url, because browsers and the pages they render follow WHATWG: tabs
// and newlines inside a URL are removed, backslashes are slashes for http(s),
// "%2e%2e" is a dot segment, hosts go through IDNA. On top of WHATWG's
// serialisation Canonical applies trawl's normalisations:
//   - the fragment is dropped (it never reaches the server);
//   - userinfo is DROPPED (WHATWG keeps it): "http://u:p@h/" and "http://h/"
//     are one page for dedup, and credentials must not be copied into the
//     frontier, logs or exports;
//   - percent-encoding is normalised in path and query: escapes of RFC 3986
//     unreserved characters are decoded, other escapes upper-cased, and a
//     '%' that starts no valid escape is written %25 (so that decoding can
//     never manufacture a new escape and the function stays idempotent);
//   - tracking parameters are removed: utm_*, fbclid, gclid, dclid, msclkid,
//     mc_cid, mc_eid, _ga, yclid, igshid (keys compared case-insensitively);
//     an empty query ("?" alone, or one that held only tracking parameters)
//     is dropped;
//   - the order of the remaining query parameters is KEPT. Sorting would
//     merge more duplicates, but some sites give order meaning (repeated
//     keys read as lists, positional parameters, signed URLs whose signature
//     covers the exact query), and a wrong merge loses pages.
//
// Invariants: Canonical's output is an absolute http or https URL with a
// non-empty host and a path starting with "/", and Canonical(out, "") ==
// out (idempotent; fuzzed). Extract returns only such URLs, deduplicated, in
// document order, at most maxLinks of them. Nothing here touches the network
// or holds package-level mutable state.
//
// HostKey and Origin are string operations on canonical URLs. Domain uses
// the public suffix list (golang.org/x/net/publicsuffix); a host under an
// unlisted TLD such as ".test" gets that TLD as its suffix.
package links
