// Package fetch performs exactly one HTTP attempt: the mechanism half of
// trawl's fetch path, in the way net/http's Transport is the mechanism half
// of its Client.
//
// A Client owns one http.Transport and a guarded dialer. Get sends one GET,
// reads and decodes the body under a cap, and returns either a *Response or
// a classified *Error. Policy — retries, backoff, robots.txt, following
// redirects, politeness — belongs to the caller (package crawler).
//
// Invariants:
//   - One call, one request: Get never follows redirects, never retries,
//     never sleeps and never parses the body. A 3xx is returned as a Response
//     with Location set; the caller resolves it and calls Get again, so every
//     hop passes the address guard afresh.
//   - A status code is not an error: 404 and 500 are Responses. Every error
//     Get returns is an *Error with a Class and a Retryable verdict.
//   - Response.Body is decoded (gzip, deflate, br) and never longer than
//     Options.MaxBody; decoding reads through a limit of MaxBody+1 bytes, so
//     memory is bounded by MaxBody however large the compressed or decoded
//     stream claims to be. The raw (wire) bytes read are bounded too.
//   - Every wait is bounded: connect (ConnectTimeout), response headers
//     (HeaderTimeout), the gap between body reads (StallTimeout) and the whole
//     request (Timeout).
//   - Unless Options.AllowPrivate, the dialer resolves the host itself,
//     refuses if any resolved address is loopback, private, link-local,
//     unique-local, CGNAT, multicast, unspecified or a cloud metadata address
//     (IPv4-mapped forms included), and then dials the checked IP, never the
//     name, so DNS rebinding cannot swap the address after the check. A dial
//     to a configured proxy is not guarded: the proxy decides.
//   - The package keeps no package-level mutable state and does no logging;
//     the caller logs from the Response or Error.
package fetch
