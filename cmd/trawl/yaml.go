package main

import (
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// sizeKeys are the YAML keys that hold a byte count and so accept units
// (max_body: 10MiB), as their flags do.
var sizeKeys = map[string]bool{"max_body": true}

// loadYAML reads path into fc. Every problem is reported as the file, the
// line and the key, in the words of the flags: an unknown key with the
// nearest known one, a value with what it should look like — never a Go
// type name.
func loadYAML(path string, fc *fileConfig) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("config %s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(doc.Content) == 0 {
		return nil // empty file
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("config %s line %d: want \"key: value\" lines at the top level", path, root.Line)
	}
	fields := yamlFields(reflect.ValueOf(fc).Elem())
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		f, ok := fields[k.Value]
		if !ok {
			known := make([]string, 0, len(fields))
			for name := range fields {
				known = append(known, name)
			}
			sort.Strings(known)
			if s := closest(k.Value, known); s != "" {
				return fmt.Errorf("config %s line %d: unknown key %q: did you mean %s? (configs/trawl.yaml lists every key)", path, k.Line, k.Value, s)
			}
			return fmt.Errorf("config %s line %d: unknown key %q (configs/trawl.yaml lists every key)", path, k.Line, k.Value)
		}
		if err := decodeYAMLValue(k.Value, v, f); err != nil {
			return fmt.Errorf("config %s line %d: %s: %v", path, v.Line, k.Value, err)
		}
	}
	return nil
}

// yamlFields maps each YAML key of the struct v (inline structs included)
// to its field.
func yamlFields(v reflect.Value) map[string]reflect.Value {
	out := map[string]reflect.Value{}
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") && sf.Type.Kind() == reflect.Struct {
			for k, f := range yamlFields(v.Field(i)) {
				out[k] = f
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(sf.Name)
		}
		out[name] = v.Field(i)
	}
	return out
}

// decodeYAMLValue decodes node into the field f, explaining a mismatch by
// what the key wants.
func decodeYAMLValue(key string, node *yaml.Node, f reflect.Value) error {
	if sizeKeys[key] && f.Kind() == reflect.Int64 && node.Kind == yaml.ScalarNode {
		n, err := parseSize(node.Value)
		if err != nil {
			return err
		}
		f.SetInt(n)
		return nil
	}
	if err := node.Decode(f.Addr().Interface()); err != nil {
		return fmt.Errorf("%s, not %s", wantFor(f.Type()), describeNode(node))
	}
	return nil
}

// wantFor says in plain words what a value of type t looks like in YAML.
func wantFor(t reflect.Type) string {
	if t == reflect.TypeOf(time.Duration(0)) {
		return "want a duration such as 500ms, 2s or 1m30s"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "want true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "want a whole number"
	case reflect.Float32, reflect.Float64:
		return "want a number"
	case reflect.String:
		return "want a single value"
	case reflect.Slice:
		return "want a list (one \"- item\" a line, or [a, b])"
	case reflect.Map, reflect.Struct:
		return "want \"key: value\" entries"
	}
	return "want another kind of value"
}

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "this value"
}

// fileHasKey reports whether the YAML file at path sets key at its top
// level (so an error about that setting can point at the file).
func fileHasKey(path, key string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	var m map[string]yaml.Node
	if yaml.Unmarshal(b, &m) != nil {
		return false
	}
	_, ok := m[key]
	return ok
}

// yamlKeys returns the top-level keys the YAML file at path sets, so a
// resume applies only what the file names.
func yamlKeys(path string) (map[string]bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	var m map[string]yaml.Node
	if err := yaml.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	keys := make(map[string]bool, len(m))
	for k := range m {
		keys[k] = true
	}
	return keys, nil
}
