package frontier

import (
	"testing"
	"time"
)

// With a politeness key coarser than the origin (a registrable domain),
// a completion's robots.txt goes to Completion.RobotsHost while the delay
// and backoff apply to the lease's key, and both survive a reopen.
func TestCompletionRobotsHost(t *testing.T) {
	f, path := openNew(t, Options{})
	add(t, f, Item{URL: "http://a.site.test/", Host: "site.test"}, Item{URL: "http://b.site.test/", Host: "site.test"})
	l := next(t, f, t0)
	d := 2 * time.Second
	complete(t, f, Completion{Lease: l, Outcome: Done, RobotsHost: "a.site.test",
		Host: &HostUpdate{Delay: &d, NotBefore: t0.Add(time.Minute),
			Robots: &RobotsState{Status: 200, Body: []byte("User-agent: *\nDisallow: /x\n"), FetchedAt: t0, Expires: t0.Add(time.Hour)}}})
	check := func(f *Frontier) {
		t.Helper()
		origin, ok := f.Host("a.site.test")
		if !ok || origin.Robots == nil || string(origin.Robots.Body) != "User-agent: *\nDisallow: /x\n" {
			t.Fatalf("origin a.site.test: %+v %v", origin, ok)
		}
		if origin.Delay != 0 || origin.Queued != 0 {
			t.Fatalf("origin got the group's delay or queue: %+v", origin)
		}
		group, ok := f.Host("site.test")
		if !ok || group.Robots != nil || group.Delay != d || !group.NextAllowed.Equal(t0.Add(time.Minute)) || group.Queued != 1 {
			t.Fatalf("group site.test: %+v %v", group, ok)
		}
	}
	check(f)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	f = open(t, path, Options{})
	defer f.Close()
	check(f)
}
