package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http/httptrace"
	"net/netip"
	"net/url"
	"sync"
	"time"
)

// dialer connects to the resolved, checked IP of a target, or straight to a
// proxy. It is the only place where connections are made.
type dialer struct {
	resolver       Resolver
	dial           func(ctx context.Context, network, addr string) (net.Conn, error)
	allowPrivate   bool
	connectTimeout time.Duration
	proxies        *proxySet
}

// DialContext is the Transport's dialer. addr is host:port as the Transport
// computed it: the target's, or a proxy's when the request goes through one.
func (d *dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, d.connectTimeout)
	defer cancel()
	if d.proxies.has(addr) {
		// The proxy decides what is reachable; its own address is the
		// operator's choice, so it is not guarded.
		return d.dial(ctx, network, addr)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	ips, err := d.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	if !d.allowPrivate {
		// Refuse if ANY address is private: a name that mixes public and
		// private answers is an attack or a misconfiguration either way.
		for _, ip := range ips {
			if r := blockedReason(ip); r != "" {
				return nil, &BlockedError{Host: host, IP: ip.String(), Reason: r}
			}
		}
	}
	trace := httptrace.ContextClientTrace(ctx)
	var errs []error
	for _, ip := range ips {
		// Dial the checked IP, not the name, so a second resolution cannot
		// hand the connection a different (rebound) address.
		target := net.JoinHostPort(ip.String(), port)
		if trace != nil && trace.ConnectStart != nil {
			trace.ConnectStart(network, target)
		}
		conn, err := d.dial(ctx, network, target)
		if trace != nil && trace.ConnectDone != nil {
			trace.ConnectDone(network, target, err)
		}
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

// resolve returns the addresses of host; an IP literal is its own answer and
// makes no query.
func (d *dialer) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	trace := httptrace.ContextClientTrace(ctx)
	if trace != nil && trace.DNSStart != nil {
		trace.DNSStart(httptrace.DNSStartInfo{Host: host})
	}
	addrs, err := d.resolver.LookupIPAddr(ctx, host)
	if err == nil && len(addrs) == 0 {
		err = errNoAddresses
	}
	if trace != nil && trace.DNSDone != nil {
		trace.DNSDone(httptrace.DNSDoneInfo{Addrs: addrs, Err: err})
	}
	if err != nil {
		return nil, &dnsError{host: host, err: err}
	}
	ips := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok {
			return nil, &dnsError{host: host, err: fmt.Errorf("bad address %v", a.IP)}
		}
		// net.IP holds IPv4 in 16 bytes; dial it as IPv4.
		ips = append(ips, ip.Unmap().WithZone(a.Zone))
	}
	return ips, nil
}

// proxySet holds the host:port of every proxy the Transport has been told to
// use, so the dialer can recognise a dial to a proxy.
type proxySet struct {
	mu    sync.Mutex
	addrs map[string]struct{}
}

func (s *proxySet) add(u *url.URL) {
	addr := proxyAddr(u)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.addrs == nil {
		s.addrs = make(map[string]struct{})
	}
	s.addrs[addr] = struct{}{}
}

func (s *proxySet) has(addr string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.addrs[addr]
	return ok
}

// proxyAddr is the host:port the Transport dials for proxy u.
func proxyAddr(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}
