package testweb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Web is a running synthetic web: one loopback listener serving every host,
// as an origin (Host header) and as a plain-HTTP forward proxy (absolute-URI
// requests), with a judge recording every request.
type Web struct {
	cfg   Config
	site  *site
	judge *judge

	ln       net.Listener
	srv      *http.Server
	ctx      context.Context // cancelled by Close; parent of request contexts
	cancel   context.CancelFunc
	served   chan error
	handlers sync.WaitGroup
	once     sync.Once

	holdMu   sync.Mutex
	requests int64 // every request received (hold.go)
	hold     *Hold // nil: answer everything
}

// Start generates the site described by cfg and starts serving it on
// cfg.Addr (loopback only).
func Start(cfg Config) (*Web, error) {
	w, err := newWeb(cfg)
	if err != nil {
		return nil, err
	}
	w.ln, err = net.Listen("tcp", w.cfg.Addr)
	if err != nil {
		w.cancel()
		return nil, fmt.Errorf("testweb: listen on %s: %w", w.cfg.Addr, err)
	}
	w.srv = &http.Server{
		Handler:           w.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      5 * time.Minute, // the 50 MB page to a slow reader
		IdleTimeout:       90 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return w.ctx },
		ConnContext:       connContext,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go func() { w.served <- w.srv.Serve(stamped(w.ln)) }()
	return w, nil
}

// newWeb generates the site and the judge without listening; Handler works
// on the result.
func newWeb(cfg Config) (*Web, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	w := &Web{cfg: cfg, site: generate(cfg), judge: newJudge(), served: make(chan error, 1)}
	w.ctx, w.cancel = context.WithCancel(context.Background())
	return w, nil
}

// Close stops the server, cancels running handlers and waits for them.
func (w *Web) Close() error {
	var err error
	w.once.Do(func() {
		w.cancel()
		err = w.srv.Close()
		if serr := <-w.served; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, fmt.Errorf("testweb: serve: %w", serr))
		}
		w.handlers.Wait()
	})
	return err
}

// ProxyURL returns "http://127.0.0.1:PORT", to be used as a crawler's proxy.
func (w *Web) ProxyURL() string { return "http://" + w.Addr() }

// Addr returns the listener's address.
func (w *Web) Addr() string { return w.ln.Addr().String() }

// Seeds returns the URLs from which every expected URL is reachable.
func (w *Web) Seeds() []string { return append([]string(nil), w.site.seeds...) }

// Hosts returns the site's host names, "h0.<Name>.test" first.
func (w *Web) Hosts() []string {
	hs := make([]string, len(w.site.hosts))
	for i, h := range w.site.hosts {
		hs[i] = h.name
	}
	return hs
}

// Expected returns what a correct, polite crawler (token "trawl", robots and
// nofollow obeyed, scope "<Name>.test", no limits, traps excluded) must
// request, keyed by canonical URL, with the final status it ends with.
// robots.txt URLs are not included. The map is a copy.
func (w *Web) Expected() map[string]int { return maps.Clone(w.site.expected) }

// ExpectedPages returns the count of 2xx HTML pages in Expected.
func (w *Web) ExpectedPages() int { return w.site.pages }

// Reset clears the judge's records and the first-request state (transient
// answers and the robots.txt that fails once answer as new again).
func (w *Web) Reset() { w.judge.reset() }

// Report returns a snapshot of the judge's records.
func (w *Web) Report() Report { return w.judge.report(w.site) }

// Handler returns the web's handler (judge included) for in-process use.
func (w *Web) Handler() http.Handler { return http.HandlerFunc(w.serve) }

// serve routes one request by host, records it and answers it.
func (w *Web) serve(rw http.ResponseWriter, r *http.Request) {
	w.handlers.Add(1)
	defer w.handlers.Done()
	cw := &countingWriter{ResponseWriter: rw}
	host := canonHost(r.Host)
	h := w.site.byName[host]
	if r.URL.Scheme != "" && r.URL.Scheme != "http" || r.Method != http.MethodGet && r.Method != http.MethodHead {
		h = nil
	}
	p := cleanPath(r.URL.EscapedPath())
	if h != nil && p == "/robots.txt" {
		v, code := w.judge.enterRobots(host, arrival(r.Context()), func(n int) int {
			if n == 1 && h.robots.firstStatus != 0 {
				return h.robots.firstStatus
			}
			return h.robots.status
		})
		defer func() { w.judge.exit(v, cw.status, cw.n) }()
		if !w.admit(r.Context()) || !w.pause(r.Context()) {
			return
		}
		if code == 200 {
			writeBody(cw, code, "text/plain; charset=utf-8", h.robotsBody)
			return
		}
		writeStatus(cw, code)
		return
	}

	var n *node
	var disallowed, trap bool
	if h != nil {
		n = h.nodes[p]
		pq := p
		if r.URL.RawQuery != "" {
			pq += "?" + r.URL.RawQuery
		}
		disallowed = !allowed(h.rules, pq)
		trap = w.cfg.Features.Trap && strings.HasPrefix(p, "/cal/")
	}
	key := canonURL(host, p, r.URL.RawQuery)
	v, transient := w.judge.enterPage(host, arrival(r.Context()), key, h != nil, disallowed, n != nil && n.hidden, trap,
		func(k int) bool { return k == 1 && n != nil && n.firstStatus != 0 })
	defer func() { w.judge.exit(v, cw.status, cw.n) }()
	if !w.admit(r.Context()) || !w.pause(r.Context()) {
		return
	}
	switch {
	case h == nil:
		writeStatus(cw, http.StatusBadGateway)
	case transient:
		w.serveTransient(cw, n.firstStatus)
	case trap:
		w.serveTrap(cw, p)
	case n == nil:
		writeStatus(cw, http.StatusNotFound)
	default:
		w.serveNode(r.Context(), cw, n)
	}
}

// pause sleeps for the configured latency ± jitter; false if ctx ended.
func (w *Web) pause(ctx context.Context) bool {
	d := w.cfg.Latency
	if d <= 0 {
		return true
	}
	if j := w.cfg.Jitter; j > 0 {
		d += time.Duration(rand.Int64N(2*int64(j)+1)) - j
	}
	select {
	case <-time.After(d): // unstopped, it is collected all the same (Go 1.23)
		return true
	case <-ctx.Done():
		return false
	}
}

func (w *Web) serveTransient(cw *countingWriter, code int) {
	switch code {
	case http.StatusServiceUnavailable:
		cw.Header().Set("Retry-After", "1")
	case http.StatusTooManyRequests:
		cw.Header().Set("Retry-After", time.Now().Add(1500*time.Millisecond).UTC().Format(http.TimeFormat))
	}
	writeStatus(cw, code)
}

// serveTrap answers /cal/YYYY/MM with a page linking the next month.
func (w *Web) serveTrap(cw *countingWriter, p string) {
	parts := strings.Split(strings.TrimPrefix(p, "/cal/"), "/")
	if len(parts) != 2 {
		writeStatus(cw, http.StatusNotFound)
		return
	}
	y, err1 := strconv.Atoi(parts[0])
	m, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || y < 1 || y > 9999 || m < 1 || m > 12 {
		writeStatus(cw, http.StatusNotFound)
		return
	}
	if m++; m > 12 {
		y, m = y+1, 1
	}
	b := make([]byte, 0, 160)
	b = append(b, "<!DOCTYPE html>\n<html><head><title>calendar</title></head><body>\n<a href=\"/cal/"...)
	b = appendPadded(b, y, 4)
	b = append(b, '/')
	b = appendPadded(b, m, 2)
	b = append(b, "\">next month</a> <a href=\"/\">home</a>\n</body></html>\n"...)
	writeBody(cw, http.StatusOK, "text/html; charset=utf-8", b)
}

func (w *Web) serveNode(ctx context.Context, cw *countingWriter, n *node) {
	s := w.site
	switch n.kind {
	case kindPage:
		if n.xRobots {
			cw.Header().Set("X-Robots-Tag", "nofollow")
		}
		hd := cw.Header()
		hd.Set("Content-Type", "text/html; charset=utf-8")
		hd.Set("Content-Length", strconv.Itoa(len(n.prefix)+n.fillerLen+len(n.suffix)))
		cw.WriteHeader(http.StatusOK)
		_, _ = cw.Write(n.prefix)
		_, _ = cw.Write(s.filler[n.fillerOff : n.fillerOff+n.fillerLen])
		_, _ = cw.Write(n.suffix)
	case kindRedirect:
		cw.Header().Set("Location", n.location)
		writeStatus(cw, n.status)
	case kindStatus:
		writeStatus(cw, n.status)
	case kindBinary:
		writeBody(cw, http.StatusOK, "application/octet-stream", s.binary[n.fillerOff:n.fillerOff+n.fillerLen])
	case kindPNG:
		writeBody(cw, http.StatusOK, "image/png", s.png)
	case kindAsset:
		writeBody(cw, http.StatusOK, n.ctype, n.body)
	case kindHuge:
		w.serveHuge(cw)
	case kindTrickle:
		serveTrickle(ctx, cw)
	}
}

// serveHuge streams hugeSize bytes of HTML from the filler pool.
func (w *Web) serveHuge(cw *countingWriter) {
	head := []byte("<!DOCTYPE html>\n<html><head><title>huge</title></head><body><p>")
	cw.Header().Set("Content-Type", "text/html; charset=utf-8")
	cw.Header().Set("Content-Length", strconv.Itoa(hugeSize))
	cw.WriteHeader(http.StatusOK)
	if _, err := cw.Write(head); err != nil {
		return
	}
	chunk := w.site.filler[:min(len(w.site.filler), 64<<10)]
	for left := hugeSize - len(head); left > 0; {
		c := chunk[:min(left, len(chunk))]
		if _, err := cw.Write(c); err != nil {
			return
		}
		left -= len(c)
	}
}

// serveTrickle sends trickleBody one byte every trickleDelay.
func serveTrickle(ctx context.Context, cw *countingWriter) {
	cw.Header().Set("Content-Type", "text/html; charset=utf-8")
	cw.Header().Set("Content-Length", strconv.Itoa(len(trickleBody)))
	cw.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(cw)
	t := time.NewTicker(trickleDelay)
	defer t.Stop()
	for i := range len(trickleBody) {
		if i > 0 {
			select {
			case <-t.C:
			case <-ctx.Done():
				return
			}
		}
		if _, err := io.WriteString(cw, trickleBody[i:i+1]); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

func writeBody(cw *countingWriter, code int, ctype string, body []byte) {
	cw.Header().Set("Content-Type", ctype)
	cw.Header().Set("Content-Length", strconv.Itoa(len(body)))
	cw.WriteHeader(code)
	_, _ = cw.Write(body)
}

// writeStatus answers code with a short HTML body.
func writeStatus(cw *countingWriter, code int) {
	body := "<!DOCTYPE html>\n<html><body><p>" + strconv.Itoa(code) + " " + http.StatusText(code) + "</p></body></html>\n"
	writeBody(cw, code, "text/html; charset=utf-8", []byte(body))
}

// countingWriter remembers the status and counts body bytes.
type countingWriter struct {
	http.ResponseWriter
	status int
	n      int64
}

func (c *countingWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *countingWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	n, err := c.ResponseWriter.Write(b)
	c.n += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (c *countingWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// appendPadded appends v in decimal, zero-padded to width digits.
func appendPadded(b []byte, v, width int) []byte {
	s := strconv.Itoa(v)
	for range width - len(s) {
		b = append(b, '0')
	}
	return append(b, s...)
}
