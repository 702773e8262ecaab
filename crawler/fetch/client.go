package fetch

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/http/httpproxy"
)

// acceptEncoding is what we can decode; the Transport's own transparent gzip
// is off so that the decoded-body cap is ours.
const acceptEncoding = "gzip, deflate, br"

// maxHeaderBytes bounds the response headers the Transport will read.
const maxHeaderBytes = 1 << 20

// Client performs single HTTP attempts. It is safe for concurrent use.
type Client struct {
	opts      Options
	transport *http.Transport
	// Context causes, made once: they name the limit that was hit.
	timeoutCause, headerCause, stallCause error
}

// New returns a Client for opts, after applying defaults and validating.
func New(opts Options) (*Client, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("fetch options: %w", err)
	}
	d := &dialer{
		resolver:       opts.Resolver,
		dial:           opts.DialContext,
		allowPrivate:   opts.AllowPrivate,
		connectTimeout: opts.ConnectTimeout,
		proxies:        &proxySet{},
	}
	if d.resolver == nil {
		d.resolver = net.DefaultResolver
	}
	if d.dial == nil {
		nd := &net.Dialer{Timeout: opts.ConnectTimeout, KeepAlive: 30 * time.Second}
		d.dial = nd.DialContext
	}
	t := &http.Transport{
		DialContext:            d.DialContext,
		ForceAttemptHTTP2:      true,
		DisableCompression:     true,
		MaxIdleConns:           opts.MaxConns,
		MaxIdleConnsPerHost:    opts.MaxConns, // one pool per proxy: see doc of MaxConns
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    opts.ConnectTimeout,
		ResponseHeaderTimeout:  opts.HeaderTimeout,
		MaxResponseHeaderBytes: maxHeaderBytes,
	}
	if opts.TLSConfig != nil {
		t.TLSClientConfig = opts.TLSConfig.Clone()
	}
	switch {
	case opts.Proxy != nil:
		p := *opts.Proxy
		d.proxies.add(&p)
		t.Proxy = http.ProxyURL(&p)
	case opts.ProxyFromEnv:
		// Read once, here, with the rules http.ProxyFromEnvironment uses.
		proxyFor := httpproxy.FromEnvironment().ProxyFunc()
		t.Proxy = func(req *http.Request) (*url.URL, error) {
			u, err := proxyFor(req.URL)
			if u != nil {
				d.proxies.add(u) // before the dial, which happens after Proxy
			}
			return u, err
		}
	}
	return &Client{
		opts:         opts,
		transport:    t,
		timeoutCause: fmt.Errorf("%w of %s", errTimeout, opts.Timeout),
		headerCause:  fmt.Errorf("%w after %s", errHeaderTimeout, opts.HeaderTimeout),
		stallCause:   fmt.Errorf("%w: no bytes for %s", errStall, opts.StallTimeout),
	}, nil
}

// Close closes idle connections. In-flight requests are not interrupted.
func (c *Client) Close() { c.transport.CloseIdleConnections() }

// Get performs one GET of rawURL (absolute http or https). extra headers are
// added to the request; User-Agent and Accept-Encoding are set by the Client.
// A non-2xx status is not an error: it is a Response. Every error is *Error.
func (c *Client) Get(ctx context.Context, rawURL string, extra http.Header) (*Response, error) {
	if err := checkURL(rawURL); err != nil {
		return nil, &Error{Class: ClassScheme, URL: rawURL, Err: err}
	}
	rec := &recorder{start: time.Now()}
	reqCtx, cancelTimeout := context.WithTimeoutCause(ctx, c.opts.Timeout, c.timeoutCause)
	defer cancelTimeout()
	reqCtx, cancel := context.WithCancelCause(reqCtx)
	defer cancel(nil)
	reqCtx = httptrace.WithClientTrace(reqCtx, rec.trace())

	req, err := c.newRequest(reqCtx, rawURL, extra)
	if err != nil {
		return nil, classify(ctx, reqCtx, rawURL, "build request", err)
	}
	// The Transport's ResponseHeaderTimeout starts after the request is
	// written; this one starts with the request, dial included.
	headerTimer := time.AfterFunc(c.opts.HeaderTimeout, func() { cancel(c.headerCause) })
	resp, err := c.transport.RoundTrip(req)
	headerTimer.Stop()
	if err != nil {
		return nil, classify(ctx, reqCtx, rawURL, "request", err)
	}
	headersAt := time.Now()
	defer resp.Body.Close()

	body, truncated, err := c.readBody(resp, cancel)
	if err != nil {
		return nil, classify(ctx, reqCtx, rawURL, "read body", err)
	}
	timing, remote := rec.timing(headersAt, time.Now())
	out := &Response{
		URL:           rawURL,
		Status:        resp.StatusCode,
		Proto:         resp.Proto,
		Header:        resp.Header,
		RequestHeader: req.Header,
		Body:          body,
		Truncated:     truncated,
		RemoteAddr:    remote,
		ServerIP:      c.serverIP(req, remote),
		Timing:        timing,
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		out.Location = resp.Header.Get("Location")
	}
	return out, nil
}

// serverIP is the IP of the server req reached through the connection to
// remote, or "" when a proxy stood between (remote is then the proxy's).
func (c *Client) serverIP(req *http.Request, remote string) string {
	if c.transport.Proxy != nil {
		if u, err := c.transport.Proxy(req); u != nil || err != nil {
			return ""
		}
	}
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return ""
	}
	return host
}

// readBody reads and decodes resp.Body under the caps, cancelling the request
// with errStall when no raw byte arrives for StallTimeout.
func (c *Client) readBody(resp *http.Response, cancel context.CancelCauseFunc) ([]byte, bool, error) {
	watchdog := time.AfterFunc(c.opts.StallTimeout, func() { cancel(c.stallCause) })
	defer watchdog.Stop()
	wire := &wireReader{
		r:        resp.Body,
		limit:    rawBound(c.opts.MaxBody),
		watchdog: watchdog,
		stall:    c.opts.StallTimeout,
	}
	encoding := strings.Join(resp.Header.Values("Content-Encoding"), ",")
	if encoding == "" || strings.EqualFold(encoding, "identity") {
		return readCapped(wire, c.opts.MaxBody, resp.ContentLength)
	}
	// An empty body with a Content-Encoding (204, 304, lazy servers) is
	// empty, not a corrupt stream.
	br := bufio.NewReader(wire)
	if _, err := br.Peek(1); err == io.EOF {
		return []byte{}, false, nil
	}
	r, err := decoder(br, encoding)
	if err != nil {
		return nil, false, err
	}
	return readCapped(r, c.opts.MaxBody, -1)
}

// checkURL accepts absolute http and https URLs with a host.
func checkURL(rawURL string) error {
	u, err := url.Parse(rawURL)
	switch {
	case err != nil:
		return fmt.Errorf("parse url: %w", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("scheme %q is not http or https", u.Scheme)
	case u.Host == "":
		return errors.New("url has no host")
	}
	return nil
}

// newRequest builds the GET: extra headers first, then the ones the Client
// owns (User-Agent, and Accept-Encoding, since the decoding is ours).
func (c *Client) newRequest(ctx context.Context, rawURL string, extra http.Header) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	for k, vs := range extra {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if c.opts.UserAgent != "" {
		req.Header.Set("User-Agent", c.opts.UserAgent)
	}
	req.Header.Set("Accept-Encoding", acceptEncoding)
	return req, nil
}
