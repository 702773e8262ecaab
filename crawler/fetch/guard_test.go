package fetch

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"testing"
)

func TestBlockedReason(t *testing.T) {
	tests := []struct {
		ip      string
		blocked bool
	}{
		{"127.0.0.1", true},
		{"127.255.0.9", true},
		{"::1", true},
		{"::ffff:127.0.0.1", true},
		{"10.0.0.1", true},
		{"172.16.0.1", true},
		{"172.31.255.255", true},
		{"192.168.1.1", true},
		{"::ffff:192.168.1.1", true},
		{"169.254.169.254", true},
		{"169.254.1.1", true},
		{"fd00:ec2::254", true},
		{"fc00::1", true},
		{"fe80::1", true},
		{"100.64.0.1", true},
		{"100.127.255.255", true},
		{"0.0.0.0", true},
		{"0.1.2.3", true},
		{"::", true},
		{"224.0.0.1", true},
		{"ff02::1", true},
		{"255.255.255.255", true},
		{"64:ff9b::10.0.0.1", true},
		{"::127.0.0.1", true},
		// Public addresses pass.
		{"8.8.8.8", false},
		{"93.184.216.34", false},
		{"172.32.0.1", false},
		{"100.128.0.1", false},
		{"2001:4860:4860::8888", false},
		{"::ffff:8.8.8.8", false},
		{"64:ff9b::8.8.8.8", false},
	}
	for _, tt := range tests {
		reason := blockedReason(netip.MustParseAddr(tt.ip))
		if (reason != "") != tt.blocked {
			t.Errorf("%s: reason %q, want blocked=%v", tt.ip, reason, tt.blocked)
		}
	}
}

// TestGuard checks the dialer: private answers are refused before any dial,
// public ones are dialed by IP (the loopbackDialer refuses them, so nothing
// leaves the machine).
func TestGuard(t *testing.T) {
	tests := []struct {
		name    string
		answers []string
		class   Class
		dialed  []string
	}{
		{"rfc1918", []string{"10.0.0.1"}, ClassBlocked, nil},
		{"metadata", []string{"169.254.169.254"}, ClassBlocked, nil},
		{"mapped loopback", []string{"::ffff:127.0.0.1"}, ClassBlocked, nil},
		{"unique local", []string{"fd00::1"}, ClassBlocked, nil},
		{"one bad answer among good", []string{"93.184.216.34", "192.168.0.1"}, ClassBlocked, nil},
		{"public is dialed by IP", []string{"93.184.216.34", "2001:db8::1"}, ClassConnect,
			[]string{"93.184.216.34:80", "[2001:db8::1]:80"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := &fakeResolver{answers: map[string][]string{"victim.test": tt.answers}}
			dial := &loopbackDialer{}
			c := newClient(t, Options{Resolver: res, DialContext: dial.DialContext})
			_, err := c.Get(context.Background(), "http://victim.test/", nil)
			fe := fetchErr(t, err)
			if fe.Class != tt.class {
				t.Fatalf("got %v, want class %s", err, tt.class)
			}
			if tt.class == ClassBlocked && fe.Retryable {
				t.Error("blocked is retryable")
			}
			if got := dial.Addrs(); !slices.Equal(got, tt.dialed) {
				t.Errorf("dialed %v, want %v", got, tt.dialed)
			}
		})
	}
}

func TestGuardLoopbackLiteral(t *testing.T) {
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) { t.Error("guard let a request through") })
	res := &fakeResolver{}
	dial := &loopbackDialer{}
	c := newClient(t, Options{Resolver: res, DialContext: dial.DialContext})
	_, err := c.Get(context.Background(), srv.URL, nil)
	if fe := fetchErr(t, err); fe.Class != ClassBlocked || fe.Retryable {
		t.Errorf("got %v, want non-retryable %s", err, ClassBlocked)
	}
	if len(dial.Addrs()) != 0 || len(res.Queries()) != 0 {
		t.Errorf("dialed %v, resolved %v for a literal", dial.Addrs(), res.Queries())
	}
}

// TestAllowPrivateDialsCheckedIP: with AllowPrivate a name resolving to
// loopback is fetched, and the dial goes to the resolved IP, not the name.
func TestAllowPrivateDialsCheckedIP(t *testing.T) {
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, r.Host) })
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	res := &fakeResolver{answers: map[string][]string{"site.test": {"127.0.0.1"}}}
	dial := &loopbackDialer{}
	c := newClient(t, Options{AllowPrivate: true, Resolver: res, DialContext: dial.DialContext})
	resp, err := c.Get(context.Background(), "http://site.test:"+port+"/", nil)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if string(resp.Body) != "site.test:"+port {
		t.Errorf("server saw Host %q", resp.Body)
	}
	if got := dial.Addrs(); !slices.Equal(got, []string{"127.0.0.1:" + port}) {
		t.Errorf("dialed %v, want the checked IP", got)
	}
}
