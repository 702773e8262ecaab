package crawler

import (
	"reflect"
	"slices"
	"strings"
)

// scopeKeys are the settings fixed for a crawl's life, by YAML key: they
// decide what the crawl is (which URLs, at which depth, as which agent,
// grouped how for politeness), so resume refuses to change them. Every
// other Config field is operational and may change on resume. This table is
// the only list: the resume check (ScopeChanges, ResumeConfig) and the
// resume merge (Crawler.Resume keeping the stored scope) both read it.
var scopeKeys = map[string]bool{
	"seeds":           true,
	"max_depth":       true,
	"scope":           true,
	"include":         true,
	"exclude":         true,
	"user_agent":      true,
	"ignore_robots":   true,
	"follow_nofollow": true,
	"follow_links":    true,
	"sitemaps":        true,
	"politeness_key":  true,
}

// configFields maps each Config field's YAML key to its index.
func configFields() map[string]int {
	t := reflect.TypeFor[Config]()
	out := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		key, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if key != "" && key != "-" {
			out[key] = i
		}
	}
	return out
}

// IsScopeKey reports whether the setting with this YAML key is fixed for a
// crawl's life.
func IsScopeKey(key string) bool { return scopeKeys[key] }

// ScopeChanges lists the scope settings (YAML keys) whose values differ
// between a stored crawl's config and updated: resume refuses those, as
// they would change what the crawl is. Seeds count only when updated has
// some (a resume gives none).
func ScopeChanges(stored, updated Config) []string {
	sv, uv := reflect.ValueOf(stored), reflect.ValueOf(updated)
	var out []string
	for _, key := range sortedScopeKeys() {
		i, ok := configFields()[key]
		if !ok {
			continue
		}
		if key == "seeds" && len(updated.Seeds) == 0 {
			continue
		}
		if !reflect.DeepEqual(normalise(sv.Field(i)), normalise(uv.Field(i))) {
			out = append(out, key)
		}
	}
	return out
}

// ResumeConfig is the configuration a resume runs with: the stored crawl's
// config, with each operational setting the user gave (given reports, by
// YAML key, whether a flag or a config-file key set it) taken from
// updated. Scope settings the user gave with a different value are
// returned in changed, and the resume must be refused.
func ResumeConfig(stored, updated Config, given func(key string) bool) (merged Config, changed []string) {
	merged = stored
	mv, uv, sv := reflect.ValueOf(&merged).Elem(), reflect.ValueOf(updated), reflect.ValueOf(stored)
	fields := configFields()
	for _, key := range sortedKeys(fields) {
		if !given(key) {
			continue
		}
		i := fields[key]
		if scopeKeys[key] {
			if !reflect.DeepEqual(normalise(sv.Field(i)), normalise(uv.Field(i))) {
				changed = append(changed, key)
			}
			continue
		}
		mv.Field(i).Set(uv.Field(i))
	}
	return merged, changed
}

// keepScope copies every scope setting of stored onto dst.
func keepScope(dst *Config, stored Config) {
	dv, sv := reflect.ValueOf(dst).Elem(), reflect.ValueOf(stored)
	for key, i := range configFields() {
		if scopeKeys[key] {
			dv.Field(i).Set(sv.Field(i))
		}
	}
}

// normalise makes an empty slice equal a nil one.
func normalise(v reflect.Value) any {
	if v.Kind() == reflect.Slice && v.Len() == 0 {
		return nil
	}
	return v.Interface()
}

func sortedScopeKeys() []string {
	keys := make(map[string]int, len(scopeKeys))
	for k := range scopeKeys {
		keys[k] = 0
	}
	return sortedKeys(keys)
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
