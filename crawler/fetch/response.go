package fetch

import (
	"net/http"
	"time"
)

// Response is the outcome of one attempt that got a status line, whatever
// the status.
type Response struct {
	URL           string
	Status        int
	Proto         string
	Header        http.Header // as received; Content-Encoding kept for the record
	RequestHeader http.Header // what was sent, including User-Agent and Accept-Encoding
	Body          []byte      // decoded (gzip, deflate, br), at most Options.MaxBody bytes
	Truncated     bool        // the body was cut at MaxBody (or at the raw wire bound)
	Location      string      // raw Location header of a 3xx, "" otherwise; the caller resolves it
	RemoteAddr    string      // the peer: the server, or the proxy
	ServerIP      string      // the server's IP the request connected to ("" through a proxy: not known)
	Timing        Timing
}

// Timing is where the time of one attempt went, measured with
// net/http/httptrace. DNS, Connect and TLS are zero when a pooled connection
// was reused (and DNS is zero for IP literals).
type Timing struct {
	Start   time.Time
	DNS     time.Duration // name resolution
	Connect time.Duration // TCP connect
	TLS     time.Duration // TLS handshake
	TTFB    time.Duration // Start to the first response byte
	Body    time.Duration // response headers to the end of the body
	Total   time.Duration // Start to the end of the body
}
