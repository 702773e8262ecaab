package main

import (
	"reflect"
	"testing"

	"github.com/trawl-crawler/trawl/crawler"
)

// TestExampleConfigIsCompleteAndDefault keeps configs/trawl.yaml honest: it
// loads with no unknown key and every value equals the built-in default.
func TestExampleConfigIsCompleteAndDefault(t *testing.T) {
	fc := fileConfig{}
	if err := loadYAML("../../configs/trawl.yaml", &fc); err != nil {
		t.Fatal(err)
	}
	want := defaultFileConfig()
	if fc.Seeds == nil {
		fc.Seeds = want.Seeds
	}
	normalize := func(c *crawler.Config) {
		if len(c.Seeds) == 0 {
			c.Seeds = nil
		}
		if len(c.Include) == 0 {
			c.Include = nil
		}
		if len(c.Exclude) == 0 {
			c.Exclude = nil
		}
		if len(c.Headers) == 0 {
			c.Headers = nil
		}
	}
	normalize(&fc.Config)
	normalize(&want.Config)
	if !reflect.DeepEqual(fc, want) {
		t.Fatalf("configs/trawl.yaml differs from the defaults:\n file: %+v\n want: %+v", fc, want)
	}
}
