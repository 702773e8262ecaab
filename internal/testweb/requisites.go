package testweb

// Page requisites (Features.Requisites): every host serves the same small
// set of assets; pages refer to them the ways real sites do. Paths are
// fixed so that a test can name them.
const (
	reqSiteCSS  = "/static/site.css"
	reqThemeCSS = "/static/theme.css"
	reqScript   = "/static/app.js"
	reqIcon     = "/favicon.png"
	reqFont     = "/fonts/t.woff2"
	// reqBlocked is disallowed by robots.txt on hosts with the standard
	// rules (/private/): a requisite that must not be fetched there.
	reqBlocked = "/private/secret.png"
)

// requisiteHead is the <head> markup every generated page carries when
// Features.Requisites is on ("" otherwise).
func (s *site) requisiteHead() string {
	if !s.cfg.Features.Requisites {
		return ""
	}
	return `<link rel=stylesheet href="` + reqSiteCSS + `">` + "\n" +
		`<link rel="alternate icon" href="` + reqIcon + `">` + "\n" +
		`<script src="` + reqScript + `"></script>` + "\n"
}

// addRequisites adds host h's assets and the root's inline references.
func (s *site) addRequisites(h *hostSite, root *pageBuilder) {
	asset := func(path, ctype string, body []byte) {
		h.nodes[path] = &node{kind: kindAsset, ctype: ctype, body: body}
	}
	asset(reqSiteCSS, "text/css; charset=utf-8", []byte(`@import url("theme.css");
body { background: url(../img/bg.png) repeat-x; }
.logo { background-image: url('/img/logo.png'); } /* url(/img/commented.png) */
`))
	asset(reqThemeCSS, "text/css", []byte(`@font-face { font-family: T; src: url("`+reqFont+`") format("woff2"); }
h1 { background: url("data:image/png;base64,iVBORw0KGgo="); }
.secret { background: url(`+reqBlocked+`); }
`))
	asset(reqScript, "text/javascript", []byte("document.documentElement.className = 'js';\n"))
	asset(reqFont, "font/woff2", []byte("wOF2\x00\x01\x00\x00not really a font\n"))
	for _, p := range []string{reqIcon, "/img/logo.png", "/img/logo@2x.png", "/img/bg.png", reqBlocked} {
		h.nodes[p] = &node{kind: kindPNG}
	}
	root.raw(`<li><img src="/img/logo.png" srcset="/img/logo.png 1x, /img/logo@2x.png 2x" alt=logo>`+
		`<div style="background: url('/img/bg.png')">styled</div>`+
		`<img src="http://cdn.outside.invalid/lib.png" alt=offsite></li>`+"\n", "", false)
}
