package fetch

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"
)

// Defaults applied by New to zero-valued Options fields.
const (
	DefaultTimeout        = 30 * time.Second
	DefaultConnectTimeout = 10 * time.Second
	DefaultStallTimeout   = 10 * time.Second
	DefaultMaxBody        = 10 << 20
	DefaultMaxConns       = 256
)

// Resolver resolves a host name to addresses. *net.Resolver implements it.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// Options configures a Client. The zero value of each field selects its
// default; negative durations and sizes are rejected by New.
type Options struct {
	// UserAgent is sent as the User-Agent header of every request.
	UserAgent string
	// Timeout bounds the whole request including the body; default 30s.
	Timeout time.Duration
	// ConnectTimeout bounds name resolution, the TCP connect and the TLS
	// handshake; default 10s.
	ConnectTimeout time.Duration
	// HeaderTimeout bounds the time from the request start to the response
	// headers; default Timeout.
	HeaderTimeout time.Duration
	// StallTimeout is the longest gap allowed between two body reads that
	// make progress (trickling servers); default 10s.
	StallTimeout time.Duration
	// MaxBody caps the decoded body; default 10 MiB. A longer body is cut
	// at MaxBody and the Response is marked Truncated.
	MaxBody int64
	// Proxy is an explicit proxy (http://host:port or https://host:port).
	// When set, every request goes through it and the proxy decides which
	// addresses are reachable: the private-address guard does not apply.
	Proxy *url.URL
	// ProxyFromEnv honours HTTP_PROXY, HTTPS_PROXY and NO_PROXY (read once,
	// by New, with the rules of http.ProxyFromEnvironment) when Proxy is nil.
	ProxyFromEnv bool
	// AllowPrivate allows loopback, private, link-local, unique-local and
	// metadata addresses.
	AllowPrivate bool
	// MaxConns is the number of connections the pools are sized for
	// (idle pool overall and per host, since all requests through one proxy
	// share one pool); default 256.
	MaxConns int
	// DialContext, if set, replaces net.Dialer for the TCP connect (tests).
	// The private-address guard still applies to the resolved IP, which is
	// what DialContext receives.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// Resolver, if set, replaces net.DefaultResolver (tests, so that no
	// real DNS query is made).
	Resolver Resolver
	// TLSConfig, if set, is cloned and used for https (tests: httptest roots).
	TLSConfig *tls.Config
}

// withDefaults returns o with zero fields set to their defaults.
func (o Options) withDefaults() Options {
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.ConnectTimeout == 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.HeaderTimeout == 0 {
		o.HeaderTimeout = o.Timeout
	}
	if o.StallTimeout == 0 {
		o.StallTimeout = DefaultStallTimeout
	}
	if o.MaxBody == 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.MaxConns == 0 {
		o.MaxConns = DefaultMaxConns
	}
	return o
}

// validate reports the first invalid field of o (after defaults).
func (o Options) validate() error {
	var errs []error
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"Timeout", o.Timeout},
		{"ConnectTimeout", o.ConnectTimeout},
		{"HeaderTimeout", o.HeaderTimeout},
		{"StallTimeout", o.StallTimeout},
	} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s must not be negative, got %s", d.name, d.v))
		}
	}
	if o.MaxBody < 0 {
		errs = append(errs, fmt.Errorf("MaxBody must not be negative, got %d", o.MaxBody))
	}
	if o.MaxConns < 0 {
		errs = append(errs, fmt.Errorf("MaxConns must not be negative, got %d", o.MaxConns))
	}
	if p := o.Proxy; p != nil {
		if p.Scheme != "http" && p.Scheme != "https" {
			errs = append(errs, fmt.Errorf("proxy %q: scheme must be http or https", p.Redacted()))
		}
		if p.Hostname() == "" {
			errs = append(errs, fmt.Errorf("proxy %q: no host", p.Redacted()))
		}
	}
	return errors.Join(errs...)
}
