package crawler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
)

// storeConfig stores the crawl's config in the frontier, the truth for
// resume (crawl.json, writeConfigFile, is a copy for people and other
// processes; commitStart orders the two).
func storeConfig(ctx context.Context, fr Frontier, cfg Config) error {
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	if err := fr.SetMeta(ctx, metaConfig, b); err != nil {
		return fmt.Errorf("store config: %w", err)
	}
	return nil
}

// writeConfigFile writes crawl.json without the proxy's password
// (request.go: secrets).
func writeConfigFile(dir string, cfg Config) error {
	// crawl.json is for people and other processes.
	public := cfg
	public.Proxy = redactProxy(cfg.Proxy)
	b, err := json.MarshalIndent(public, "", "  ")
	if err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	return stateDir(dir).writeConfig(append(b, '\n'))
}

func loadConfigMeta(fr Frontier) (Config, error) {
	b, err := fr.Meta(metaConfig)
	if err != nil {
		return Config{}, fmt.Errorf("read stored config: %w", err)
	}
	if b == nil {
		return Config{}, errors.New("the frontier holds no crawl configuration (not started by trawl crawl?)")
	}
	cfg := Default()
	if err := json.Unmarshal(b, &cfg); err != nil {
		return Config{}, fmt.Errorf("decode stored config: %w", err)
	}
	return cfg, nil
}

// LoadConfig returns the configuration a crawl in dir was started with.
func LoadConfig(dir string) (Config, error) {
	path := stateDir(dir).configPath()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Config{}, fmt.Errorf("%s: %w", dir, ErrNoCrawl)
	}
	if err != nil {
		return Config{}, fmt.Errorf("read crawl config: %w", err)
	}
	cfg := Default()
	if err := json.Unmarshal(b, &cfg); err != nil {
		return Config{}, fmt.Errorf("decode %s: %w", path, err)
	}
	return cfg, nil
}
