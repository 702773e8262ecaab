package crawler

import (
	"strings"
	"testing"

	"github.com/trawl-crawler/trawl/crawler/robots"
)

// TestDefaultUserAgentCarriesContact: the default User-Agent names trawl,
// its version and a contact URL, and robots.txt still matches it as trawl.
func TestDefaultUserAgentCarriesContact(t *testing.T) {
	ua := Default().UserAgent
	if !strings.HasPrefix(ua, "trawl/"+Version+" ") || !strings.Contains(ua, "(+https://") {
		t.Errorf("default User-Agent %q lacks name/version or (+URL)", ua)
	}
	if tok := robots.ProductToken(ua); tok != "trawl" {
		t.Errorf("robots token of %q = %q, want trawl", ua, tok)
	}
}
