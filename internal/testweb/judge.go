package testweb

import (
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// judge records what crawlers did, from the server's side. One mutex guards
// the maps; each request takes it twice (enter and exit).
type judge struct {
	requests atomic.Int64
	bytes    atomic.Int64

	mu    sync.Mutex
	hosts map[string]*hostRecord
	urls  map[string]*urlRecord
	trap  int
	dups  []string
	robV  []string
	nofV  []string
}

// hostRecord is the judge's per-host state.
type hostRecord struct {
	robots         int
	robotsAnswered bool // a robots.txt request got a non-5xx answer
	inFlight       int
	maxInFlight    int
	starts         startTimes // recent request starts (arrival.go)
	minGap         time.Duration
	gaps           int
}

// urlRecord is the judge's per-canonical-URL state.
type urlRecord struct {
	requests  int
	settled   bool // an answer that was not a deliberate transient error was given
	dupListed bool
	final     int
}

func newJudge() *judge {
	j := &judge{}
	j.reset()
	return j
}

func (j *judge) reset() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.requests.Store(0)
	j.bytes.Store(0)
	j.hosts = make(map[string]*hostRecord)
	j.urls = make(map[string]*urlRecord)
	j.trap = 0
	j.dups, j.robV, j.nofV = nil, nil, nil
}

// visit is what the judge decided about one request at its start.
type visit struct {
	host *hostRecord
	url  *urlRecord // nil for robots.txt
	n    int        // this request's ordinal for its URL (robots: for its host), from 1
}

// enterRobots records the start (at) of a robots.txt request. willAnswer
// is the status the server is about to give, decided from the returned
// ordinal.
func (j *judge) enterRobots(host string, at time.Time, status func(n int) int) (visit, int) {
	j.requests.Add(1)
	j.mu.Lock()
	defer j.mu.Unlock()
	hr := j.startHost(host, at)
	hr.robots++
	code := status(hr.robots)
	if code < 500 {
		hr.robotsAnswered = true
	}
	return visit{host: hr, n: hr.robots}, code
}

// enterPage records the start (at) of a request for canonical URL key on a
// site host (site == true) or elsewhere. transient reports whether the answer
// will be a deliberate transient error given the URL's request ordinal.
func (j *judge) enterPage(host string, at time.Time, key string, site, disallowed, hidden, trap bool, transient func(n int) bool) (visit, bool) {
	j.requests.Add(1)
	j.mu.Lock()
	defer j.mu.Unlock()
	hr := j.startHost(host, at)
	ur := j.urls[key]
	if ur == nil {
		ur = &urlRecord{}
		j.urls[key] = ur
	}
	ur.requests++
	isTransient := transient(ur.requests)
	if ur.settled && !ur.dupListed {
		ur.dupListed = true
		j.dups = append(j.dups, key)
	}
	if !isTransient {
		ur.settled = true
	}
	if site && (disallowed || !hr.robotsAnswered) {
		j.robV = append(j.robV, key)
	}
	if hidden {
		j.nofV = append(j.nofV, key)
	}
	if trap {
		j.trap++
	}
	return visit{host: hr, url: ur, n: ur.requests}, isTransient
}

// startHost updates in-flight and gap figures for a request that started
// at at; j.mu is held. Handlers may run out of the order their requests
// arrived in, so the gap is to the nearest recorded start either side.
func (j *judge) startHost(host string, at time.Time) *hostRecord {
	hr := j.hosts[host]
	if hr == nil {
		hr = &hostRecord{}
		j.hosts[host] = hr
	}
	if g, ok := hr.starts.add(at); ok {
		if hr.gaps == 0 || g < hr.minGap {
			hr.minGap = g
		}
		hr.gaps++
	}
	hr.inFlight++
	hr.maxInFlight = max(hr.maxInFlight, hr.inFlight)
	return hr
}

// exit records the end of a request: its status and body bytes.
func (j *judge) exit(v visit, status int, written int64) {
	j.bytes.Add(written)
	j.mu.Lock()
	defer j.mu.Unlock()
	v.host.inFlight--
	if v.url != nil {
		v.url.final = status
	}
}

// report snapshots the records.
func (j *judge) report(s *site) Report {
	j.mu.Lock()
	defer j.mu.Unlock()
	r := Report{
		Requests:           j.requests.Load(),
		RobotsRequests:     make(map[string]int),
		PerURL:             make(map[string]int, len(j.urls)),
		Final:              make(map[string]int, len(j.urls)),
		Duplicates:         sortedCopy(j.dups),
		RobotsViolations:   sortedCopy(j.robV),
		MaxInFlight:        make(map[string]int, len(j.hosts)),
		MinGap:             make(map[string]time.Duration),
		CrawlDelay:         make(map[string]time.Duration),
		TrapRequests:       j.trap,
		NofollowViolations: sortedCopy(j.nofV),
		Bytes:              j.bytes.Load(),
	}
	for k, u := range j.urls {
		r.PerURL[k] = u.requests
		r.Final[k] = u.final
	}
	for h, hr := range j.hosts {
		if hr.robots > 0 {
			r.RobotsRequests[h] = hr.robots
		}
		r.MaxInFlight[h] = hr.maxInFlight
		if hr.gaps > 0 {
			r.MinGap[h] = hr.minGap
		}
	}
	for _, h := range s.hosts {
		if h.delay > 0 {
			r.CrawlDelay[h.name] = h.delay
		}
	}
	return r
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}

// isTrapURL reports whether canonical URL u is in the calendar trap.
func isTrapURL(u string) bool {
	rest, ok := strings.CutPrefix(u, "http://")
	if !ok {
		return false
	}
	_, p, _ := strings.Cut(rest, "/")
	return strings.HasPrefix(p, "cal/")
}
