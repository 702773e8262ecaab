package testweb

import (
	"net/http"
)

// Web is a running synthetic web: one loopback listener serving every host,
// as an origin (Host header) and as a plain-HTTP forward proxy.
type Web struct {
	cfg Config
}

// Start generates the site described by cfg and starts serving it.
func Start(cfg Config) (*Web, error) { return nil, nil }

// Close stops the server and waits for its handlers.
func (w *Web) Close() error { return nil }

// ProxyURL returns "http://127.0.0.1:PORT", to be used as a crawler's proxy.
func (w *Web) ProxyURL() string { return "" }

// Addr returns the listener's address.
func (w *Web) Addr() string { return "" }

// Seeds returns the URLs from which every expected URL is reachable.
func (w *Web) Seeds() []string { return nil }

// Hosts returns the site's host names, "h0.<Name>.test" first.
func (w *Web) Hosts() []string { return nil }

// Expected returns what a correct, polite crawler must request, keyed by
// canonical URL, with the final status it ends with.
func (w *Web) Expected() map[string]int { return nil }

// ExpectedPages returns the count of 2xx HTML pages in Expected.
func (w *Web) ExpectedPages() int { return 0 }

// Reset clears the judge's records and the first-request state.
func (w *Web) Reset() {}

// Report returns a snapshot of the judge's records.
func (w *Web) Report() Report { return Report{} }

// Handler returns the web's handler for in-process use.
func (w *Web) Handler() http.Handler { return nil }
