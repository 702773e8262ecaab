package testweb

import (
	"fmt"
	"html"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// nodeKind says how a node is served.
type nodeKind uint8

const (
	kindPage     nodeKind = iota // HTML: prefix + filler + suffix
	kindRedirect                 // status + Location
	kindStatus                   // a small HTML error body with status
	kindBinary                   // application/octet-stream from the binary pool
	kindPNG                      // image/png
	kindHuge                     // 50 MB streamed HTML
	kindTrickle                  // 1 byte every 50 ms
	kindAsset                    // 200 with ctype and body (page requisites)
)

// Sizes of the special bodies.
const (
	hugeSize     = 50 << 20
	binarySize   = 30 << 10
	trickleBody  = "<html><body>trickle page</body></html>\n"
	trickleDelay = 50 * time.Millisecond
)

// node is one servable URL of a host. Nodes are immutable after Start.
type node struct {
	kind        nodeKind
	status      int    // kindRedirect, kindStatus
	location    string // kindRedirect: the Location header as served
	firstStatus int    // non-zero: the answer to the first request only (503, 500, 429)
	xRobots     bool   // X-Robots-Tag: nofollow
	noFollow    bool   // links are not to be followed (meta robots or X-Robots-Tag)
	hidden      bool   // reachable only through nofollow
	links       []link // what the page links to, canonical
	prefix      []byte // kindPage: everything before the filler
	suffix      []byte // kindPage: everything after the filler
	fillerOff   int    // kindPage, kindBinary: offset into the shared pool
	fillerLen   int
	ctype       string // kindAsset
	body        []byte // kindAsset
}

// link is one outgoing link as a correct crawler understands it.
type link struct {
	target string // canonical URL
	follow bool
}

// hostSite is one host: its robots.txt and its nodes by path.
type hostSite struct {
	name       string
	idx        int
	robots     robotsFile
	robotsBody []byte
	rules      []rule        // what robots.txt says to "trawl" once answered 200
	delay      time.Duration // Crawl-delay for "trawl"
	nodes      map[string]*node
}

// site is the generated web. It is immutable after generate.
type site struct {
	cfg      Config
	hosts    []*hostSite
	byName   map[string]*hostSite
	filler   []byte // shared text pool for page bodies
	binary   []byte // shared pool for .bin bodies
	png      []byte
	seeds    []string
	expected map[string]int
	pages    int // 2xx HTML pages in expected
}

// generate builds the site for cfg (already defaulted). Everything derives
// from cfg.Seed, so equal configs give equal sites byte for byte.
func generate(cfg Config) *site {
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x7e57_5eed))
	s := &site{cfg: cfg, byName: make(map[string]*hostSite, cfg.Hosts)}
	if cfg.Varied {
		s.filler = makeMarkupFiller(rng, 3*cfg.PageSize+64<<10)
	} else {
		s.filler = makeFiller(rng, cfg.PageSize+64<<10)
	}
	s.binary = make([]byte, binarySize+16<<10)
	for i := range s.binary {
		s.binary[i] = byte(rng.Uint32())
	}
	s.png = makePNG()
	for i := range cfg.Hosts {
		h := &hostSite{name: s.hostName(i), idx: i, nodes: make(map[string]*node)}
		h.robots = s.robotsFor(i)
		h.robotsBody = h.robots.text()
		if h.robots.status == 200 {
			h.rules, h.delay = parseRobots(h.robotsBody, agentToken)
		}
		s.hosts = append(s.hosts, h)
		s.byName[h.name] = h
	}
	for _, h := range s.hosts {
		s.buildHost(rng, h)
	}
	s.seeds = []string{s.url(0, "/")}
	s.expected, s.pages = s.bfs()
	return s
}

func (s *site) hostName(i int) string { return "h" + strconv.Itoa(i) + "." + s.cfg.Name + ".test" }

// url returns the canonical URL of path on host i (modulo the host count).
func (s *site) url(i int, path string) string {
	return "http://" + s.hostName(i%s.cfg.Hosts) + path
}

// robotsFor returns host i's robots.txt. With RobotsVariants the variant is
// i mod 5: 0 has a distinct "trawl" group, 2 answers 404, 3 answers 503 once
// and has an Allow/Disallow tie and wildcard patterns; 1 and 4 are standard.
func (s *site) robotsFor(i int) robotsFile {
	var delay time.Duration
	if i == 1 && s.cfg.Features.CrawlDelay > 0 {
		delay = s.cfg.Features.CrawlDelay
	}
	if n := s.cfg.Features.RobotsDown; n > 0 && i > 0 && i >= s.cfg.Hosts-n {
		return robotsFile{status: 500}
	}
	std := group{agents: []string{"*"}, rules: []rule{{false, "/private/"}}, delay: delay}
	f := robotsFile{status: 200, groups: []group{std}}
	if !s.cfg.Features.RobotsVariants {
		return f
	}
	switch i % 5 {
	case 0:
		f.groups = []group{
			{agents: []string{"*"}, rules: []rule{{false, "/private/"}, {false, "/members/"}}, delay: delay},
			{agents: []string{"otherbot", agentToken}, rules: []rule{{false, "/private/"}, {false, "/notrawl/"}}, delay: delay},
		}
	case 2:
		f = robotsFile{status: 404}
	case 3:
		f.firstStatus = 503
		f.groups = []group{{agents: []string{"*"}, delay: delay, rules: []rule{
			{false, "/private/"},
			{true, "/private/open"},
			{true, "/tie/"},
			{false, "/tie/"},
			{false, "/*/print$"},
		}}}
	}
	return f
}

// pageBuilder accumulates one HTML page's markup and its canonical links.
type pageBuilder struct {
	s     *site
	h     *hostSite
	path  string
	head  strings.Builder
	body  strings.Builder
	links []link
}

func (s *site) newPage(h *hostSite, path string) *pageBuilder {
	return &pageBuilder{s: s, h: h, path: path}
}

// a writes <a href=href rel=rel> and records target (canonical) as a link.
// An empty target records nothing (out-of-site or non-http links).
func (b *pageBuilder) a(href, target, rel string) {
	b.body.WriteString(`<li><a href="` + html.EscapeString(href) + `"`)
	if rel != "" {
		b.body.WriteString(` rel="` + rel + `"`)
	}
	fmt.Fprintf(&b.body, ">link %d</a></li>\n", len(b.links))
	b.raw("", target, !strings.Contains(strings.ToLower(rel), "nofollow"))
}

// raw writes markup as is and records target (if any).
func (b *pageBuilder) raw(markup, target string, follow bool) {
	b.body.WriteString(markup)
	if target != "" {
		b.links = append(b.links, link{target: target, follow: follow})
	}
}

// finish stores the page as node n of its host, sized to about PageSize.
func (b *pageBuilder) finish(rng *rand.Rand, n *node) *node {
	if n == nil {
		n = &node{}
	}
	n.kind = kindPage
	n.links = b.links
	if n.prefix == nil {
		title := html.EscapeString(b.h.name + b.path)
		n.prefix = []byte("<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8><title>" + title + "</title>\n" +
			b.s.requisiteHead() + b.head.String() + "</head>\n<body>\n<h1>" + title + "</h1>\n<ul>\n" + b.body.String() + "</ul>\n<p>")
		n.suffix = pageSuffix
	}
	if b.s.cfg.Varied {
		size := logUniform(rng, b.s.cfg.PageSize/4, 3*b.s.cfg.PageSize)
		n.fillerLen = max(0, size-len(n.prefix)-len(n.suffix))
		n.fillerLen -= n.fillerLen % markupBlock // whole blocks: the markup stays well-formed
		n.fillerOff = markupBlock * rng.IntN((len(b.s.filler)-n.fillerLen)/markupBlock+1)
	} else {
		n.fillerLen = max(0, b.s.cfg.PageSize-len(n.prefix)-len(n.suffix))
		n.fillerOff = rng.IntN(len(b.s.filler) - n.fillerLen + 1)
	}
	b.h.nodes[b.path] = n
	return n
}

var pageSuffix = []byte("</p>\n</body>\n</html>\n")

// spellPage returns an href for /p/k on host j as seen from host h: one of
// several equivalent spellings; full forces an absolute URL (for pages with
// an absolute <base>).
func (s *site) spellPage(rng *rand.Rand, h *hostSite, j, k int) string {
	p := "/p/" + strconv.Itoa(k)
	if j != h.idx {
		return s.url(j, p)
	}
	switch rng.IntN(3) {
	case 0:
		return p
	case 1:
		return strconv.Itoa(k) // relative to /p/ (only used on /p/ pages)
	default:
		return s.url(j, p)
	}
}

// leaf adds a small-linked page at path on h that links back to h's root.
func (s *site) leaf(rng *rand.Rand, h *hostSite, path string, hidden bool) {
	b := s.newPage(h, path)
	b.a("/", s.url(h.idx, "/"), "")
	b.finish(rng, &node{hidden: hidden})
}

func (s *site) status(h *hostSite, path string, code int) {
	h.nodes[path] = &node{kind: kindStatus, status: code}
}

// buildHost generates host h: the root, the chain /p/0 → /p/1 → … with
// random fan-out, and the feature sections, each linked from a hub page
// /p/(slot mod PagesPerHost).
func (s *site) buildHost(rng *rand.Rand, h *hostSite) {
	cfg, f := s.cfg, s.cfg.Features
	n, pages := cfg.Hosts, cfg.PagesPerHost
	hub := make(map[int]*pageBuilder)
	hubFor := func(slot int) *pageBuilder { return hub[slot%pages] }

	root := s.newPage(h, "/")
	root.a("/p/0", s.url(h.idx, "/p/0"), "")
	if n > 1 {
		root.a(s.url(h.idx+1, "/"), s.url(h.idx+1, "/"), "")
	}
	if h.idx == 0 {
		root.a("http://outside.invalid/", "http://outside.invalid/", "")
		root.a("mailto:webmaster@"+h.name, "", "")
	}
	for k := range pages {
		b := s.newPage(h, "/p/"+strconv.Itoa(k))
		hub[k] = b
		if k+1 < pages {
			b.a(s.spellPage(rng, h, h.idx, k+1), s.url(h.idx, "/p/"+strconv.Itoa(k+1)), "")
		} else {
			b.a("/", s.url(h.idx, "/"), "")
		}
		fan := cfg.FanOut
		if cfg.Varied {
			fan = logUniform(rng, max(1, cfg.FanOut/3), 3*cfg.FanOut)
		}
		for range fan - 1 {
			j := h.idx
			if n > 1 && rng.IntN(4) == 0 {
				j = (h.idx + 1 + rng.IntN(n-1)) % n
			}
			t := rng.IntN(pages)
			b.a(s.spellPage(rng, h, j, t), s.url(j, "/p/"+strconv.Itoa(t)), "")
		}
	}
	for range max(0, cfg.FanOut-2) {
		t := rng.IntN(pages)
		root.a("/p/"+strconv.Itoa(t), s.url(h.idx, "/p/"+strconv.Itoa(t)), "")
	}

	// The sections built by a method of their own, in this order (each
	// draws from rng, so the order is part of the site the seed makes).
	for _, sec := range []struct {
		on   bool
		slot int
		add  func(*rand.Rand, *hostSite, *pageBuilder)
	}{
		{true, 1, s.addRobotsSection},
		{f.Base, 2, s.addBase},
		{f.Nofollow, 3, s.addNofollow},
		{f.Malformed, 4, s.addMalformed},
		{f.Redirects, 5, s.addRedirects},
		{f.Spellings, 6, s.addSpellings},
	} {
		if sec.on {
			sec.add(rng, h, hubFor(sec.slot))
		}
	}
	if f.Transient {
		b := hubFor(7)
		for i, code := range []int{503, 500, 429} {
			p := "/t/" + strconv.Itoa(i)
			b.a(p, s.url(h.idx, p), "")
			s.leaf(rng, h, p, false)
			h.nodes[p].firstStatus = code
		}
	}
	if f.NotFound {
		b := hubFor(8)
		b.a("/missing/0", s.url(h.idx, "/missing/0"), "")
		b.a("/gone/0", s.url(h.idx, "/gone/0"), "")
		s.status(h, "/missing/0", 404)
		s.status(h, "/gone/0", 410)
	}
	if f.Binaries {
		b := hubFor(9)
		b.a("/files/0.bin", s.url(h.idx, "/files/0.bin"), "")
		b.a("/img/0.png", s.url(h.idx, "/img/0.png"), "")
		h.nodes["/files/0.bin"] = &node{kind: kindBinary, fillerOff: rng.IntN(len(s.binary) - binarySize + 1), fillerLen: binarySize}
		h.nodes["/img/0.png"] = &node{kind: kindPNG}
	}
	if h.idx == 0 {
		b := hubFor(10)
		if f.Huge {
			b.a("/huge", s.url(0, "/huge"), "")
			h.nodes["/huge"] = &node{kind: kindHuge}
		}
		if f.Trickle {
			b.a("/slow", s.url(0, "/slow"), "")
			h.nodes["/slow"] = &node{kind: kindTrickle}
		}
		if f.Trap {
			b.raw(`<li><a href="/cal/2024/01">calendar</a></li>`+"\n", "", false)
		}
	}

	if f.Requisites {
		s.addRequisites(h, root)
	}

	root.finish(rng, nil)
	for k := range pages {
		hub[k].finish(rng, nil)
	}
}

// addRobotsSection links the paths whose fate the host's robots.txt decides.
func (s *site) addRobotsSection(rng *rand.Rand, h *hostSite, b *pageBuilder) {
	paths := []string{"/private/0", "/private/1"}
	if s.cfg.Features.RobotsVariants {
		switch h.idx % 5 {
		case 0:
			paths = append(paths, "/members/0", "/notrawl/0")
		case 3:
			paths = append(paths, "/private/open", "/tie/0", "/doc/0/print", "/doc/0/print/full")
		}
	}
	for _, p := range paths {
		b.a(p, s.url(h.idx, p), "")
		s.leaf(rng, h, p, false)
	}
}

// addBase adds /base/rel (relative <base>) and /base/abs (absolute <base>
// on the next host), whose relative links resolve only through the base.
func (s *site) addBase(rng *rand.Rand, h *hostSite, hub *pageBuilder) {
	hub.a("/base/rel", s.url(h.idx, "/base/rel"), "")
	hub.a("/base/abs", s.url(h.idx, "/base/abs"), "")

	rel := s.newPage(h, "/base/rel")
	rel.head.WriteString(`<base href="/b/">` + "\n")
	for _, name := range []string{"x0", "x1"} {
		rel.a(name, s.url(h.idx, "/b/"+name), "")
		s.leaf(rng, h, "/b/"+name, false)
	}
	rel.a("/", s.url(h.idx, "/"), "")
	rel.finish(rng, nil)

	next := s.hosts[(h.idx+1)%len(s.hosts)]
	abs := s.newPage(h, "/base/abs")
	abs.head.WriteString(`<base href="` + s.url(next.idx, "/b/") + `">` + "\n")
	name := "y" + strconv.Itoa(h.idx)
	abs.a(name, s.url(next.idx, "/b/"+name), "")
	s.leaf(rng, next, "/b/"+name, false)
	abs.a("../p/0", s.url(next.idx, "/p/0"), "")
	abs.a(s.url(h.idx, "/"), s.url(h.idx, "/"), "")
	abs.finish(rng, nil)
}

// addNofollow adds rel=nofollow links, a meta-robots-nofollow page and (on
// host 1 mod N) an X-Robots-Tag page; their only targets are /hidden/N.
func (s *site) addNofollow(rng *rand.Rand, h *hostSite, hub *pageBuilder) {
	u := func(p string) string { return s.url(h.idx, p) }
	hub.a("/hidden/0", u("/hidden/0"), "nofollow")
	hub.a("/hidden/3", u("/hidden/3"), "external NoFollow")
	hub.a("/p/0", u("/p/0"), "nofollow")
	hub.a("/nf/meta", u("/nf/meta"), "")
	for i := range 4 {
		s.leaf(rng, h, "/hidden/"+strconv.Itoa(i), true)
	}

	meta := s.newPage(h, "/nf/meta")
	meta.head.WriteString(`<meta name="robots" content="noindex, NOFOLLOW">` + "\n")
	meta.a("/hidden/1", u("/hidden/1"), "")
	meta.a("/", u("/"), "")
	meta.finish(rng, &node{noFollow: true})

	if h.idx == 1%len(s.hosts) {
		hub.a("/nf/xrt", u("/nf/xrt"), "")
		x := s.newPage(h, "/nf/xrt")
		x.a("/hidden/2", u("/hidden/2"), "")
		x.a("/", u("/"), "")
		x.finish(rng, &node{noFollow: true, xRobots: true})
	}
}

// addMalformed adds /mal, whose links to /m/N sit in broken markup.
func (s *site) addMalformed(rng *rand.Rand, h *hostSite, hub *pageBuilder) {
	u := func(p string) string { return s.url(h.idx, p) }
	hub.a("/mal", u("/mal"), "")
	b := s.newPage(h, "/mal")
	b.raw("<html><head><title>malformed <b>page</title>\n<body>\n<div><p>unclosed paragraph <a href=/m/0>unquoted</a>\n", u("/m/0"), true)
	b.raw("<table><a href='/m/1'>in a table</a><tr><td>cell\n", u("/m/1"), true)
	b.raw(`<A HREF="/m/2">upper-case tag</A>`+"\n", u("/m/2"), true)
	b.raw("<p><a class=x href=/m/3 title=t>attribute order</a>\n", u("/m/3"), true)
	b.raw(`<!-- <a href="/m/commented">not a link</a> -->`+"\n", "", false)
	b.raw(`<a href="javascript:void(0)">js</a> <a href="mailto:x@example.invalid">mail</a>`+"\n", "", false)
	b.raw("</body></html>\n", "", false)
	b.raw(`<a href=" /m/4 ">after a stray end tag, padded href</a>`+"\n", u("/m/4"), true)
	b.raw(`<div><span><a href="/">home`+"\n", u("/"), true)
	for i := range 5 {
		s.leaf(rng, h, "/m/"+strconv.Itoa(i), false)
	}
	n := &node{}
	n.prefix = []byte(b.body.String())
	n.suffix = []byte("\n")
	b.finish(rng, n)
}

// addRedirects adds a 3-hop cross-host chain (301, 302, 307), a 308 hop on
// the same host, and on host 0 a loop /loop/a → /loop/b → /loop/a.
func (s *site) addRedirects(rng *rand.Rand, h *hostSite, hub *pageBuilder) {
	i, nh := h.idx, len(s.hosts)
	id := "a" + strconv.Itoa(i)
	hops := []struct {
		host int
		code int
	}{{i, 301}, {i + 1, 302}, {i + 2, 307}}
	final := s.url(i+2, "/rt/"+id)
	for k, hop := range hops {
		p := "/r/" + id + "/" + strconv.Itoa(k)
		next := final
		if k+1 < len(hops) {
			next = s.url(hops[k+1].host, "/r/"+id+"/"+strconv.Itoa(k+1))
		}
		s.hosts[hop.host%nh].nodes[p] = &node{kind: kindRedirect, status: hop.code, location: next, links: []link{{target: next, follow: true}}}
	}
	s.leaf(rng, s.hosts[(i+2)%nh], "/rt/"+id, false)
	hub.a("/r/"+id+"/0", s.url(i, "/r/"+id+"/0"), "")

	idb := "b" + strconv.Itoa(i)
	h.nodes["/r/"+idb+"/0"] = &node{kind: kindRedirect, status: 308, location: "/rt/" + idb, links: []link{{target: s.url(i, "/rt/"+idb), follow: true}}}
	s.leaf(rng, h, "/rt/"+idb, false)
	hub.a("/r/"+idb+"/0", s.url(i, "/r/"+idb+"/0"), "")

	if i == 0 {
		h.nodes["/loop/a"] = &node{kind: kindRedirect, status: 302, location: "/loop/b", links: []link{{target: s.url(0, "/loop/b"), follow: true}}}
		h.nodes["/loop/b"] = &node{kind: kindRedirect, status: 302, location: s.url(0, "/loop/a"), links: []link{{target: s.url(0, "/loop/a"), follow: true}}}
		hub.a("/loop/a", s.url(0, "/loop/a"), "")
	}
}

// addSpellings links /s/0 under spellings that all canonicalise to one URL.
// The hub is a /p/ page, so "../s/0" resolves to /s/0.
func (s *site) addSpellings(rng *rand.Rand, h *hostSite, hub *pageBuilder) {
	target := s.url(h.idx, "/s/0")
	for _, href := range []string{
		"HTTP://" + strings.ToUpper(h.name) + "/s/0",
		"http://" + h.name + ":80/s/0",
		"/./s/0",
		"/x/../s/0",
		"/s/0#frag",
		"/s/0?utm_source=x&utm_medium=y",
		"//" + h.name + "/s/0",
		"../s/0",
		"/s/0",
	} {
		hub.a(href, target, "")
	}
	s.leaf(rng, h, "/s/0", false)
}
