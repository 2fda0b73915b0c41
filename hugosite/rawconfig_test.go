package hugosite

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hugo-pingback/hugo-pingback/config"
)

// ApplyConfigFiles reads what hugo would: the root config file in any of
// its formats, then config/_default, then config/ENVIRONMENT, later ones
// winning, keys in any case.
func TestApplyConfigFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, text string) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("hugo.yaml", "baseURL: https://dev.example.org\npublishDir: dist\nparams:\n  pingback:\n    floodLimit: 5\n    selfPing: false\n")
	write("config/_default/params.toml", "[pingback]\nfloodlimit = 7\n")
	write("config/production/params.json", `{"Pingback": {"floodLimit": 9}}`)
	write("config/production/hugo.toml", "baseURL = \"https://blog.example.org/\"\n")

	cfg := config.Default()
	unknown, found, err := ApplyConfigFiles(&cfg, dir, "", config.Send)
	if err != nil || !found || len(unknown) != 0 {
		t.Fatalf("ApplyConfigFiles = %v, %v, %v", unknown, found, err)
	}
	if cfg.BaseURL != "https://blog.example.org/" || cfg.PublishDir != filepath.Join(dir, "dist") || cfg.FloodLimit != 9 || cfg.SelfPing {
		t.Errorf("baseURL %q, publishDir %q, floodLimit %d, selfPing %v; want the production baseURL, dir/dist, 9, false", cfg.BaseURL, cfg.PublishDir, cfg.FloodLimit, cfg.SelfPing)
	}
	// Another environment takes its own dir, not production's.
	cfg = config.Default()
	if _, _, err := ApplyConfigFiles(&cfg, dir, "staging", config.Send); err != nil || cfg.FloodLimit != 7 || cfg.BaseURL != "https://dev.example.org/" {
		t.Errorf("staging: floodLimit %d, baseURL %q, %v; want 7 and the root's", cfg.FloodLimit, cfg.BaseURL, err)
	}
	// HUGO_ENVIRONMENT names the environment when none is given, as with
	// hugo; a params file may wrap its params in a params table.
	t.Setenv("HUGO_ENVIRONMENT", "staging")
	write("config/staging/params.yaml", "params:\n  pingback:\n    floodLimit: 11\n")
	cfg = config.Default()
	if _, _, err := ApplyConfigFiles(&cfg, dir, "", config.Send); err != nil || cfg.FloodLimit != 11 {
		t.Errorf("HUGO_ENVIRONMENT=staging: floodLimit %d, %v; want 11", cfg.FloodLimit, err)
	}
	// No config file at all.
	if _, found, err := ApplyConfigFiles(&cfg, t.TempDir(), "", config.Send); found || err != nil {
		t.Errorf("empty dir: found %v, %v", found, err)
	}
	// A config file that does not parse is an error naming it.
	write("config/production/params.json", `{"pingback": `)
	if _, _, err := ApplyConfigFiles(&cfg, dir, "production", config.Send); err == nil {
		t.Error("a broken params.json: no error")
	}
}
