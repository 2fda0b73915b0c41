package hugosite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/hugo-pingback/hugo-pingback/config"
)

// writeSite writes a txtar archive of a site into a temp dir.
func writeSite(t testing.TB, archive string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range txtar.Parse([]byte(archive)).Files {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestHasConfig(t *testing.T) {
	tests := []struct {
		name    string
		archive string
		want    bool
	}{
		// The current name, in each format Hugo reads.
		{"hugo.toml", "-- hugo.toml --\n", true},
		{"hugo.yaml", "-- hugo.yaml --\n", true},
		{"hugo.yml", "-- hugo.yml --\n", true},
		{"hugo.json", "-- hugo.json --\n{}\n", true},
		// The legacy name.
		{"config.toml", "-- config.toml --\n", true},
		// A config directory without a file at the root.
		{"config dir", "-- config/_default/hugo.toml --\n", true},
		// A plain static site: no Hugo config.
		{"none", "-- public/index.html --\n", false},
		// A format Hugo does not read is not a config.
		{"hugo.ini", "-- hugo.ini --\n", false},
		// Only an environment dir, no _default: Hugo needs _default.
		{"config/production only", "-- config/production/hugo.toml --\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HasConfig(writeSite(t, tt.archive)); got != tt.want {
				t.Errorf("HasConfig = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLoadNoConfig(t *testing.T) {
	dir := writeSite(t, "-- public/index.html --\n<p>hi\n")
	_, err := Load(context.Background(), Options{Dir: dir})
	if !errors.Is(err, ErrNoConfig) {
		t.Fatalf("Load: %v, want ErrNoConfig", err)
	}
	if !strings.Contains(err.Error(), dir) {
		t.Errorf("error %q does not name the directory", err)
	}
}

// siteConfig is what Apply found, the fields these tests look at.
type siteConfig struct {
	BaseURL, Env, Title, Feed, Receiver string
	PublishDir                          string // relative to the site
	Roots                               []config.Root
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name    string
		archive string
		opts    Options
		env     map[string]string
		want    siteConfig
	}{
		{
			// TOML, the usual hugo.toml.
			name: "toml",
			archive: `-- hugo.toml --
baseURL = "https://blog.example.net/"
title = "T"
[params.pingback]
receiver = "https://rx.example/xmlrpc"
`,
			want: siteConfig{BaseURL: "https://blog.example.net/", Env: "production", Title: "T",
				Feed: "https://blog.example.net/index.xml", Receiver: "https://rx.example/xmlrpc", PublishDir: "public"},
		},
		{
			// YAML, with a publishDir and no trailing slash on baseURL.
			name: "yaml",
			archive: `-- hugo.yaml --
baseURL: https://yaml.example.net/sub
title: Y
publishDir: dist
params:
  pingback:
    receiver: https://rx.example/yaml
`,
			want: siteConfig{BaseURL: "https://yaml.example.net/sub/", Env: "production", Title: "Y",
				Feed: "https://yaml.example.net/sub/index.xml", Receiver: "https://rx.example/yaml", PublishDir: "dist"},
		},
		{
			// The legacy config.toml.
			name:    "config.toml",
			archive: "-- config.toml --\nbaseURL = \"https://legacy.example.net/\"\n",
			want:    siteConfig{BaseURL: "https://legacy.example.net/", Env: "production", Feed: "https://legacy.example.net/index.xml", PublishDir: "public"},
		},
		{
			// A config dir: config/production overrides _default in production.
			name: "config dir production",
			archive: `-- config/_default/hugo.toml --
baseURL = "http://localhost:1313/"
-- config/_default/params.toml --
[pingback]
receiver = "https://rx.example/default"
-- config/production/hugo.toml --
baseURL = "https://prod.example.net/"
-- config/production/params.toml --
[pingback]
receiver = "https://rx.example/production"
`,
			want: siteConfig{BaseURL: "https://prod.example.net/", Env: "production", Feed: "https://prod.example.net/index.xml",
				Receiver: "https://rx.example/production", PublishDir: "public"},
		},
		{
			// --environment selects config/development; production is not read.
			name: "config dir development",
			archive: `-- config/_default/hugo.toml --
baseURL = "https://prod.example.net/"
-- config/development/hugo.toml --
baseURL = "http://localhost:1313/"
`,
			opts: Options{Environment: "development"},
			want: siteConfig{BaseURL: "http://localhost:1313/", Env: "development", Feed: "http://localhost:1313/index.xml", PublishDir: "public"},
		},
		{
			// HUGO_ENVIRONMENT picks the environment when the options do not.
			name: "HUGO_ENVIRONMENT",
			archive: `-- hugo.toml --
baseURL = "https://prod.example.net/"
-- config/staging/hugo.toml --
baseURL = "https://staging.example.net/"
`,
			env:  map[string]string{"HUGO_ENVIRONMENT": "staging"},
			want: siteConfig{BaseURL: "https://staging.example.net/", Env: "staging", Feed: "https://staging.example.net/index.xml", PublishDir: "public"},
		},
		{
			// HUGO_PARAMS_* and HUGO_BASEURL override the file, as in hugo.
			name: "HUGO_ variables",
			archive: `-- hugo.toml --
baseURL = "https://blog.example.net/"
[params.pingback]
receiver = "https://rx.example/file"
`,
			env: map[string]string{"HUGO_PARAMS_PINGBACK_RECEIVER": "https://rx.example/env", "HUGO_BASEURL": "https://env.example.net/"},
			want: siteConfig{BaseURL: "https://env.example.net/", Env: "production", Feed: "https://env.example.net/index.xml",
				Receiver: "https://rx.example/env", PublishDir: "public"},
		},
		{
			// The options beat the file, like hugo's flags.
			name:    "options override",
			archive: "-- hugo.toml --\nbaseURL = \"https://blog.example.net/\"\n",
			opts:    Options{BaseURL: "https://flag.example.net/", Flags: Flags{"destination": {"out"}}},
			want:    siteConfig{BaseURL: "https://flag.example.net/", Env: "production", Feed: "https://flag.example.net/index.xml", PublishDir: "out"},
		},
		{
			// Hugo applies HUGO_* variables after its flags: the variable wins.
			name:    "HUGO_ variable beats option",
			archive: "-- hugo.toml --\nbaseURL = \"https://blog.example.net/\"\n",
			opts:    Options{BaseURL: "https://flag.example.net/"},
			env:     map[string]string{"HUGO_BASEURL": "https://env.example.net/"},
			want:    siteConfig{BaseURL: "https://env.example.net/", Env: "production", Feed: "https://env.example.net/index.xml", PublishDir: "public"},
		},
		{
			// No RSS on the home page: no feed.
			name:    "no feed",
			archive: "-- hugo.toml --\nbaseURL = \"https://blog.example.net/\"\ndisableKinds = [\"rss\"]\n",
			want:    siteConfig{BaseURL: "https://blog.example.net/", Env: "production", PublishDir: "public"},
		},
		{
			// Multilingual on one host: one root, languages under /fr/.
			name: "multilingual",
			archive: `-- hugo.toml --
baseURL = "https://blog.example.net/"
defaultContentLanguage = "en"
[languages.en]
weight = 1
[languages.fr]
weight = 2
`,
			want: siteConfig{BaseURL: "https://blog.example.net/", Env: "production", Feed: "https://blog.example.net/index.xml", PublishDir: "public"},
		},
		{
			// Multihost: one root per language, each in its own dir.
			name: "multihost",
			archive: `-- hugo.toml --
defaultContentLanguage = "en"
[languages.en]
baseURL = "https://en.example.net/"
weight = 1
[languages.fr]
baseURL = "https://fr.example.net/"
weight = 2
`,
			want: siteConfig{BaseURL: "https://en.example.net/", Env: "production", Feed: "https://en.example.net/index.xml", PublishDir: "public",
				Roots: []config.Root{
					{Dir: "public/en", BaseURL: "https://en.example.net/", Lang: "en"},
					{Dir: "public/fr", BaseURL: "https://fr.example.net/", Lang: "fr"},
				}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"HUGO_ENVIRONMENT", "HUGO_ENV", "HUGO_BASEURL", "HUGO_PARAMS_PINGBACK_RECEIVER"} {
				t.Setenv(k, tt.env[k]) // restored after the test
				if tt.env[k] == "" {
					os.Unsetenv(k)
				}
			}
			dir := writeSite(t, tt.archive)
			opts := tt.opts
			opts.Dir = dir
			s, err := Load(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var cfg config.Config
			if _, err := s.Apply(&cfg, config.All); err != nil {
				t.Fatal(err)
			}
			rel := func(p string) string {
				r, err := filepath.Rel(dir, p)
				if err != nil {
					t.Fatal(err)
				}
				return filepath.ToSlash(r)
			}
			got := siteConfig{BaseURL: cfg.BaseURL, Env: cfg.Environment, Title: cfg.SiteTitle, Feed: cfg.FeedURL,
				Receiver: cfg.Receiver, PublishDir: rel(cfg.PublishDir)}
			for _, r := range cfg.Roots {
				r.Dir = rel(r.Dir)
				got.Roots = append(got.Roots, r)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			if !filepath.IsAbs(cfg.PublishDir) {
				t.Errorf("PublishDir %q is not absolute", cfg.PublishDir)
			}
		})
	}
}

func TestApplyParams(t *testing.T) {
	dir := writeSite(t, `-- hugo.toml --
baseURL = "https://blog.example.net/"
[params.pingback]
receiver = "https://webmention.io/blog.example.net/xmlrpc"
webmention = "https://webmention.io/blog.example.net/webmention"
headers = true
selfPing = false
selfHosts = ["www.blog.example.net"]
content = "article .body"
ledger = "state/ledger.db"
protocols = ["pingback"]
exclude = ["private.example/*", "*.example.org/secret/*"]
skipRels = ["nofollow"]
skipClasses = ["quiet"]
allowPrivate = true
verifyLive = false
concurrency = 3
floodLimit = 20
timeout = "7s"
hostInterval = 0
maxTime = "2m"
since = 2024-02-01
maxAge = "720h"
pingServices = ["https://rpc.example.org/RPC2"]
websubHub = "https://hub.example.com/"
tombstones = true
`)
	s, err := Load(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cfg := config.Config{Concurrency: 99} // a value the site sets is replaced
	if _, err := s.Apply(&cfg, config.All); err != nil {
		t.Fatal(err)
	}
	want := config.Config{
		SiteDir:      dir,
		BaseURL:      "https://blog.example.net/",
		PublishDir:   filepath.Join(dir, "public"),
		Environment:  "production",
		FeedURL:      "https://blog.example.net/index.xml",
		Receiver:     "https://webmention.io/blog.example.net/xmlrpc",
		Webmention:   "https://webmention.io/blog.example.net/webmention",
		Headers:      true,
		SelfPing:     false,
		SelfHosts:    []string{"www.blog.example.net"},
		Content:      "article .body",
		Ledger:       "state/ledger.db", // relative to the site: config.Resolved joins it
		Protocols:    []string{"pingback"},
		Exclude:      []string{"private.example/*", "*.example.org/secret/*"},
		SkipRels:     []string{"nofollow"},
		SkipClasses:  []string{"quiet"},
		AllowPrivate: true,
		VerifyLive:   false,
		Concurrency:  3,
		FloodLimit:   20,
		Timeout:      7 * time.Second,
		HostInterval: 0,
		MaxTime:      2 * time.Minute,
		Since:        time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC),
		MaxAge:       720 * time.Hour,
		PingServices: []string{"https://rpc.example.org/RPC2"},
		WebSubHub:    "https://hub.example.com/",
		Tombstones:   true,
	}
	if !cfg.Since.Equal(want.Since) {
		t.Errorf("Since = %v, want %v", cfg.Since, want.Since)
	}
	cfg.Since = want.Since
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("got  %+v\nwant %+v", cfg, want)
	}
}

// TestApplyLeavesUnsetFields: a site without [params.pingback] changes only
// what it has (base URL, publish dir, ...), so flags keep their values.
func TestApplyLeavesUnsetFields(t *testing.T) {
	dir := writeSite(t, "-- hugo.toml --\nbaseURL = \"https://blog.example.net/\"\n")
	s, err := Load(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cfg := config.Default()
	cfg.Receiver, cfg.Timeout, cfg.Ledger = "https://rx.example/flag", time.Second, "/elsewhere/l.db"
	if _, err := s.Apply(&cfg, config.All); err != nil {
		t.Fatal(err)
	}
	if cfg.Receiver != "https://rx.example/flag" || cfg.Timeout != time.Second || cfg.Ledger != "/elsewhere/l.db" || !cfg.SelfPing {
		t.Errorf("unset settings changed: %+v", cfg)
	}
}

func TestApplyBadParams(t *testing.T) {
	tests := []struct {
		name, setting, key string
	}{
		// A duration that is not one.
		{"timeout", `timeout = "soon"`, "timeout"},
		// A boolean that is not one.
		{"selfPing", `selfPing = "maybe"`, "selfPing"},
		// A list of numbers.
		{"exclude", `exclude = [1, 2]`, "exclude"},
		// A negative count.
		{"concurrency", `concurrency = -1`, "concurrency"},
		// A date that is not one.
		{"since", `since = "last week"`, "since"},
		// A receiver that is not a string.
		{"receiver", `receiver = 42`, "receiver"},
	}
	// params.pingback itself must be a table.
	dir := writeSite(t, "-- hugo.toml --\nbaseURL = \"https://blog.example.net/\"\n[params]\npingback = \"yes\"\n")
	if s, err := Load(context.Background(), Options{Dir: dir}); err != nil {
		t.Fatal(err)
	} else {
		_, err := s.Apply(&config.Config{}, config.All)
		s.Close()
		if !errors.Is(err, config.ErrParam) || !strings.Contains(err.Error(), "params.pingback = ") {
			t.Errorf("Apply with pingback = \"yes\": %v", err)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeSite(t, "-- hugo.toml --\nbaseURL = \"https://blog.example.net/\"\n[params.pingback]\n"+tt.setting+"\n")
			s, err := Load(context.Background(), Options{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			_, err = s.Apply(&config.Config{}, config.All)
			var pe *config.ParamError
			if !errors.As(err, &pe) || !errors.Is(err, config.ErrParam) {
				t.Fatalf("Apply: %v, want a *ParamError", err)
			}
			if pe.Key != tt.key || !strings.Contains(err.Error(), "params.pingback."+tt.key) {
				t.Errorf("error %q names key %q, want %q", err, pe.Key, tt.key)
			}
		})
	}
}

func TestApplyUnknownKeyWarns(t *testing.T) {
	dir := writeSite(t, "-- hugo.toml --\nbaseURL = \"https://blog.example.net/\"\n[params.pingback]\nreciever = \"https://rx.example/\"\n")
	s, err := Load(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	warnings, err := s.Apply(&config.Config{}, config.All)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || warnings[0].Key != "reciever" || warnings[0].Closest != "receiver" {
		t.Errorf("unknown keys %+v, want reciever, closest receiver", warnings)
	}
	if w := fmt.Sprint(warnings); !strings.Contains(w, "params.pingback.reciever") || !strings.Contains(w, "did you mean receiver?") {
		t.Errorf("no warning naming the misspelt key and the right one: %q", w)
	}
}

func TestPlaceholderBaseURL(t *testing.T) {
	tests := []struct {
		url  string
		want bool
	}{
		{"", true},                                   // not configured
		{"/", true},                                  // Hugo's fallback
		{"/blog/", true},                             // relative: no host to be pinged at
		{"http://localhost:1313/", true},             // hugo server
		{"http://LOCALHOST/", true},                  // case does not matter
		{"http://app.localhost/", true},              // *.localhost is loopback (RFC 6761)
		{"http://127.0.0.1:8080/", true},             // loopback IPv4
		{"http://127.1.2.3/", true},                  // all of 127/8
		{"http://[::1]:1313/", true},                 // loopback IPv6
		{"http://0.0.0.0/", true},                    // unspecified
		{"https://example.org/", true},               // Hugo's new-site template
		{"http://example.com/", true},                // the classic placeholder
		{"https://example.net/blog/", true},          // bare example domain with a path
		{"https://www.example.com/", true},           // the same placeholder with www
		{"https://example.com./", true},              // trailing-dot FQDN
		{"http://site.test/", true},                  // reserved for testing
		{"https://blog.invalid/", true},              // can never resolve
		{"https://blog.example.net/", false},         // a chosen sub-domain
		{"https://blog.example.org/", false},         // likewise
		{"https://janedoe.example/", false},          // .example names are documentation, not placeholders
		{"https://www.janedoe.net/", false},          // a real site
		{"https://192.0.2.10/", false},               // a routable (documentation) address
		{"https://notexample.com/", false},           // only the exact names
		{"https://example.com.evil.example/", false}, // a longer name
	}
	for _, tt := range tests {
		if got := PlaceholderBaseURL(tt.url); got != tt.want {
			t.Errorf("PlaceholderBaseURL(%q) = %v, want %v", tt.url, got, tt.want)
		}
	}
}
