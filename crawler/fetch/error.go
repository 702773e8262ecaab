package fetch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
)

// Class says why a fetch failed, in terms the crawler's retry policy needs.
type Class string

// The failure classes. Each *Error carries exactly one.
const (
	ClassDNS      Class = "dns"      // name did not resolve
	ClassConnect  Class = "connect"  // refused / unreachable
	ClassBlocked  Class = "blocked"  // private/loopback/metadata address refused by the guard (never retryable)
	ClassTimeout  Class = "timeout"  // connect, header or whole-request timeout
	ClassStall    Class = "stall"    // body stalled longer than StallTimeout
	ClassReset    Class = "reset"    // connection reset / EOF mid-response
	ClassTLS      Class = "tls"      // handshake / certificate error (not retryable)
	ClassProtocol Class = "protocol" // malformed response, bad headers, decoding error (gzip corrupt)
	ClassCanceled Class = "canceled" // the caller's ctx was cancelled (shutdown): not a failure of the URL
	ClassScheme   Class = "scheme"   // not http/https
)

// Error is a classified fetch failure. Retryable says whether the same
// request may succeed later. ClassCanceled means the caller's ctx was done
// (cancelled, or its own deadline passed); it is Retryable but is not an
// outcome of the URL at all, so callers should requeue it without counting
// an attempt.
type Error struct {
	Class     Class
	Retryable bool
	URL       string
	Err       error
}

// Error returns "fetch <url>: <class>: <err>".
func (e *Error) Error() string {
	return fmt.Sprintf("fetch %s: %s: %v", e.URL, e.Class, e.Err)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Causes set on the request context by Get's own timers, so that a cancelled
// request can be told apart from the caller's cancellation.
var (
	errTimeout       = errors.New("whole-request timeout")
	errHeaderTimeout = errors.New("timeout awaiting response headers")
	errStall         = errors.New("body stalled")
	errRawLimit      = errors.New("raw body exceeds bound")
)

// BlockedError is the dialer's refusal of an address by the private-address
// guard.
type BlockedError struct {
	Host   string // the host name or literal that was dialed
	IP     string // the refused address
	Reason string // "loopback", "private", "metadata", ...
}

func (e *BlockedError) Error() string {
	if e.Host == e.IP {
		return fmt.Sprintf("address %s refused (%s)", e.IP, e.Reason)
	}
	return fmt.Sprintf("host %s resolves to %s, refused (%s)", e.Host, e.IP, e.Reason)
}

// dnsError is a failed resolution by the dialer's resolver.
type dnsError struct {
	host string
	err  error
}

func (e *dnsError) Error() string { return fmt.Sprintf("resolve %s: %v", e.host, e.err) }
func (e *dnsError) Unwrap() error { return e.err }

// notFound reports whether the name definitely does not exist, as opposed to
// a resolver failure that may pass.
func (e *dnsError) notFound() bool {
	var de *net.DNSError
	if errors.As(e.err, &de) {
		return de.IsNotFound
	}
	return errors.Is(e.err, errNoAddresses)
}

var errNoAddresses = errors.New("no addresses")

// wireError marks an error returned by the raw response body, so that body
// errors from the network are told apart from decoder errors.
type wireError struct{ err error }

func (e *wireError) Error() string { return e.err.Error() }
func (e *wireError) Unwrap() error { return e.err }

// classify turns err from one attempt on ctx (derived from the caller's
// parent) into an *Error. Context causes come first: a timer of ours or the
// caller's cancellation explains whatever error the transport reported.
func classify(parent, ctx context.Context, rawURL, doing string, err error) *Error {
	e := &Error{URL: rawURL, Err: fmt.Errorf("%s: %w", doing, err)}
	set := func(c Class, retry bool) *Error {
		e.Class, e.Retryable = c, retry
		return e
	}
	if parent.Err() != nil {
		e.Err = fmt.Errorf("%s: %w", doing, context.Cause(parent))
		return set(ClassCanceled, true)
	}
	if ctx.Err() != nil {
		switch cause := context.Cause(ctx); {
		case errors.Is(cause, errStall):
			e.Err = fmt.Errorf("%s: %w", doing, cause)
			return set(ClassStall, true)
		case errors.Is(cause, errTimeout), errors.Is(cause, errHeaderTimeout):
			e.Err = fmt.Errorf("%s: %w", doing, cause)
			return set(ClassTimeout, true)
		}
	}
	var (
		blocked  *BlockedError
		dns      *dnsError
		netErr   net.Error
		certErr  *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostErr  x509.HostnameError
		invalid  x509.CertificateInvalidError
		recErr   tls.RecordHeaderError
		alertErr tls.AlertError
		opErr    *net.OpError
	)
	switch {
	case errors.As(err, &blocked):
		return set(ClassBlocked, false)
	case errors.As(err, &dns):
		return set(ClassDNS, !dns.notFound())
	case errors.As(err, &certErr), errors.As(err, &unknown), errors.As(err, &hostErr),
		errors.As(err, &invalid), errors.As(err, &recErr), errors.As(err, &alertErr):
		return set(ClassTLS, false)
	case errors.As(err, &netErr) && netErr.Timeout():
		return set(ClassTimeout, true)
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH), errors.As(err, &opErr) && opErr.Op == "dial":
		return set(ClassConnect, true)
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, io.EOF):
		return set(ClassReset, true)
	case isHTTP2Reset(err):
		return set(ClassReset, true)
	}
	var wire *wireError
	if errors.As(err, &wire) {
		// A network error on the body that none of the cases above knows.
		return set(ClassReset, true)
	}
	// Malformed status lines and headers, unsupported encodings, corrupt
	// compressed bodies: the server will most likely send the same again.
	return set(ClassProtocol, false)
}

// isHTTP2Reset reports stream resets and GOAWAYs of the HTTP/2 transport
// bundled in net/http, whose error types are unexported, so the message is
// all there is to go on.
func isHTTP2Reset(err error) bool {
	s := err.Error()
	return strings.Contains(s, "stream error:") || strings.Contains(s, "GOAWAY") ||
		strings.Contains(s, "http2: client connection lost") ||
		strings.Contains(s, "server closed idle connection")
}
