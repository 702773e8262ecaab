package crawler

import (
	"slices"
	"testing"
)

// Every key of the scope table names a Config field (a renamed field would
// otherwise silently become operational).
func TestScopeKeysNameFields(t *testing.T) {
	fields := configFields()
	for key := range scopeKeys {
		if _, ok := fields[key]; !ok {
			t.Errorf("scope key %q names no Config field", key)
		}
	}
}

func TestScopeChangesAndKeepScope(t *testing.T) {
	stored := Default()
	stored.Seeds, stored.MaxDepth, stored.Include = []string{"http://a.test/"}, 2, []string{"a"}
	upd := stored
	upd.Seeds, upd.MaxDepth, upd.Concurrency, upd.Exclude = nil, 5, 9, []string{}
	if got := ScopeChanges(stored, upd); !slices.Equal(got, []string{"max_depth"}) {
		t.Fatalf("ScopeChanges = %v, want [max_depth] (no seeds given; empty and nil lists are equal)", got)
	}
	kept := upd
	keepScope(&kept, stored)
	if kept.MaxDepth != 2 || kept.Concurrency != 9 || !slices.Equal(kept.Seeds, stored.Seeds) {
		t.Fatalf("keepScope: %+v", kept)
	}
}
