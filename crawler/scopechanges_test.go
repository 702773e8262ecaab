package crawler

import (
	"reflect"
	"slices"
	"testing"
)

// TestScopeChangesEveryField changes each Config field alone and checks
// ScopeChanges: a scope setting is reported under its key, an operational
// one is not. Fields are found by reflection, so a field added later is
// covered without editing this test.
func TestScopeChangesEveryField(t *testing.T) {
	stored := Default()
	stored.Seeds = []string{"http://a.test/"}
	fields := configFields()
	for key, i := range fields {
		t.Run(key, func(t *testing.T) {
			updated := stored
			updated.Seeds = slices.Clone(stored.Seeds)
			v := reflect.ValueOf(&updated).Elem().Field(i)
			switch v.Kind() {
			case reflect.String:
				v.SetString(v.String() + "x")
			case reflect.Bool:
				v.SetBool(!v.Bool())
			case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
				v.SetInt(v.Int() + 1)
			case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
				v.SetUint(v.Uint() + 1)
			case reflect.Float32, reflect.Float64:
				v.SetFloat(v.Float() + 1)
			case reflect.Slice:
				v.Set(reflect.Append(v, reflect.New(v.Type().Elem()).Elem()))
			case reflect.Map:
				m := reflect.MakeMap(v.Type())
				m.SetMapIndex(reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem())
				v.Set(m)
			case reflect.Pointer:
				if v.IsNil() {
					v.Set(reflect.New(v.Type().Elem()))
				} else {
					v.Set(reflect.Zero(v.Type()))
				}
			default:
				t.Fatalf("field %s of kind %s: teach this test to change it", key, v.Kind())
			}
			got := ScopeChanges(stored, updated)
			var want []string
			if scopeKeys[key] {
				want = []string{key}
			}
			if !slices.Equal(got, want) {
				t.Errorf("changing %s: ScopeChanges = %v, want %v", key, got, want)
			}
		})
	}
	// A resume gives no seeds: that is not a change.
	updated := stored
	updated.Seeds = nil
	if got := ScopeChanges(stored, updated); len(got) != 0 {
		t.Errorf("no seeds given: ScopeChanges = %v, want none", got)
	}
}
