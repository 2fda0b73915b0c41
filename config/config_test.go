package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDefault(t *testing.T) {
	c := Default()
	if c.SiteDir != "." || c.Ledger != DefaultLedger {
		t.Errorf("paths: %q %q", c.SiteDir, c.Ledger)
	}
	if c.Concurrency != 8 || c.Timeout != 10*time.Second || c.HostInterval != time.Second || c.MaxTime != 5*time.Minute || c.FloodLimit != 100 {
		t.Errorf("limits: %+v", c)
	}
	if !c.SelfPing || !c.VerifyLive {
		t.Errorf("switches that default to on: selfPing %v, verifyLive %v", c.SelfPing, c.VerifyLive)
	}
	if !reflect.DeepEqual(c.Protocols, []string{"webmention", "pingback"}) || !reflect.DeepEqual(c.SkipRels, []string{"nofollow", "ugc", "sponsored"}) {
		t.Errorf("lists: %v %v", c.Protocols, c.SkipRels)
	}
	// Defaults are copies: changing one Config's list leaves the next alone.
	c.SkipRels[0] = "changed"
	if Default().SkipRels[0] != "nofollow" {
		t.Error("Default shares its lists")
	}
	if err := Default().Resolved().Validate(); err != nil {
		t.Errorf("the defaults do not validate: %v", err)
	}
}

func TestResolved(t *testing.T) {
	abs := func(p string) string { a, _ := filepath.Abs(p); return a }
	c := Default()
	c.SiteDir = "blog"
	r := c.Resolved()
	// Paths follow the site dir and become absolute.
	if r.PublishDir != abs("blog/public") || r.Ledger != abs("blog/.hugo-pingback/ledger.db") {
		t.Errorf("site-relative paths: %q %q", r.PublishDir, r.Ledger)
	}
	// Resolving twice changes nothing.
	if again := r.Resolved(); !reflect.DeepEqual(r, again) {
		t.Errorf("not idempotent:\n%+v\n%+v", r, again)
	}
	// An explicit absolute path stays.
	c.PublishDir = filepath.Join(os.TempDir(), "dist")
	if r := c.Resolved(); r.PublishDir != c.PublishDir {
		t.Errorf("absolute publish dir became %q", r.PublishDir)
	}
	// A base URL gets its trailing slash.
	c.BaseURL = "https://a.example"
	if r := c.Resolved(); r.BaseURL != "https://a.example/" {
		t.Errorf("base URL %q", r.BaseURL)
	}
	// One server URL gives both endpoints; an explicit one wins.
	c.Server = "https://mentions.example.net/"
	r = c.Resolved()
	if r.Receiver != "https://mentions.example.net/xmlrpc" || r.Webmention != "https://mentions.example.net/webmention" {
		t.Errorf("endpoints from server: %q %q", r.Receiver, r.Webmention)
	}
	c.Receiver = "https://webmention.io/x/xmlrpc"
	if r := c.Resolved(); r.Receiver != "https://webmention.io/x/xmlrpc" || r.Webmention != "https://mentions.example.net/webmention" {
		t.Errorf("explicit receiver lost: %q %q", r.Receiver, r.Webmention)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Config)
		want string // substring of the error; "" means valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"good URLs", func(c *Config) { c.BaseURL, c.Receiver = "https://blog.example.net/", "https://webmention.io/x/xmlrpc" }, ""},
		{"ftp base URL", func(c *Config) { c.BaseURL = "ftp://blog.example.net/" }, "ftp://blog.example.net/"},
		{"relative base URL", func(c *Config) { c.BaseURL = "/blog/" }, "absolute"},
		{"base URL with a query", func(c *Config) { c.BaseURL = "https://blog.example.net/sub?x=1#f" }, "query"},
		{"userinfo in receiver", func(c *Config) { c.Receiver = "https://u:p@r.example/" }, "user"},
		{"webmention without host", func(c *Config) { c.Webmention = "https:///x" }, "no host"},
		{"unknown protocol", func(c *Config) { c.Protocols = []string{"pingback", "smoke-signal"} }, "smoke-signal"},
		{"no protocol", func(c *Config) { c.Protocols = nil }, "protocol"},
		{"bad exclude pattern", func(c *Config) { c.Exclude = []string{"["} }, "["},
		{"multihost root checked", func(c *Config) { c.Roots = []Root{{Dir: "public/fr", BaseURL: "mailto:x@y"}} }, "mailto:x@y"},
		{"zero concurrency", func(c *Config) { c.Concurrency = 0 }, "concurrency"},
		{"zero timeout", func(c *Config) { c.Timeout = 0 }, "timeout"},
		{"no host interval is fine", func(c *Config) { c.HostInterval = 0 }, ""},
	}
	for _, tc := range cases {
		c := Default()
		tc.edit(&c)
		err := c.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: unexpected error %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want one naming %q", tc.name, err, tc.want)
		}
	}
}

// Each row gives one setting as a flag and as a [params.pingback] value of
// the types TOML, YAML, JSON and HUGO_PARAMS_* variables produce; both must
// give the same Config.
func TestFlagsAndParamsParseAlike(t *testing.T) {
	day := time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)
	noon := time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		flag, text string // the flag and its text
		key        string
		param      any // the value as the Hugo config gives it
		want       func(Config) any
		value      any
	}{
		// Ages in days and weeks, as flag and as key (bug: maxAge = "30d" was an error).
		{"max-age", "30d", "maxAge", "30d", func(c Config) any { return c.MaxAge }, 30 * 24 * time.Hour},
		{"max-age", "2w", "maxAge", "2w", func(c Config) any { return c.MaxAge }, 14 * 24 * time.Hour},
		// A bare number of seconds, as a string and as a TOML integer.
		{"timeout", "90", "timeout", int64(90), func(c Config) any { return c.Timeout }, 90 * time.Second},
		{"host-interval", "0", "hostInterval", "0s", func(c Config) any { return c.HostInterval }, time.Duration(0)},
		// Dates with a time (bug: since = "2026-01-31 12:00" was an error).
		{"since", "2026-01-31 12:00", "since", "2026-01-31 12:00", func(c Config) any { return c.Since }, noon},
		{"since", "2026-01-31", "since", day, func(c Config) any { return c.Since }, day},
		// Whole numbers: YAML gives int, JSON float64, variables strings.
		{"concurrency", "4", "concurrency", float64(4), func(c Config) any { return c.Concurrency }, 4},
		{"concurrency", "4", "concurrency", "4", func(c Config) any { return c.Concurrency }, 4},
		// Lists: a TOML array, or one comma-separated string.
		{"protocols", "pingback,webmention", "protocols", []any{"pingback", "webmention"}, func(c Config) any { return c.Protocols }, []string{"pingback", "webmention"}},
		{"protocols", "pingback, webmention", "protocols", "pingback, webmention", func(c Config) any { return c.Protocols }, []string{"pingback", "webmention"}},
		// A negated flag and its key: --no-self-ping is selfPing = false.
		{"no-self-ping", "true", "selfPing", false, func(c Config) any { return c.SelfPing }, false},
		{"no-self-ping", "false", "selfPing", "true", func(c Config) any { return c.SelfPing }, true},
		{"no-verify-live", "true", "verifyLive", "false", func(c Config) any { return c.VerifyLive }, false},
	}
	for _, tc := range cases {
		s := flagSetting(t, tc.flag)
		var byFlag, byParam Config = Default(), Default()
		if err := s.SetFlag(&byFlag, tc.text, false); err != nil {
			t.Errorf("--%s %q: %v", tc.flag, tc.text, err)
			continue
		}
		if _, err := ApplyParams(&byParam, map[string]any{strings.ToLower(tc.key): tc.param}, All); err != nil {
			t.Errorf("%s = %#v: %v", tc.key, tc.param, err)
			continue
		}
		if got := tc.want(byFlag); !reflect.DeepEqual(got, tc.value) {
			t.Errorf("--%s %q gave %v, want %v", tc.flag, tc.text, got, tc.value)
		}
		if got := tc.want(byParam); !reflect.DeepEqual(got, tc.value) {
			t.Errorf("%s = %#v gave %v, want %v", tc.key, tc.param, got, tc.value)
		}
	}
}

func flagSetting(t *testing.T, flag string) *Setting {
	t.Helper()
	for _, s := range Settings {
		if s.Flag == flag {
			return s
		}
	}
	t.Fatalf("no setting has the flag --%s", flag)
	return nil
}

// Bad values are refused the same way from either side, naming the value.
func TestBadValues(t *testing.T) {
	for _, tc := range []struct {
		flag, text, key string
		param           any
	}{
		{"timeout", "soon", "timeout", "soon"},
		{"timeout", "-1s", "timeout", int64(-1)},
		{"concurrency", "0", "concurrency", int64(0)},
		{"concurrency", "1.5", "concurrency", 1.5},
		{"exclude", "[", "exclude", []any{"["}},
		{"websub-hub", "notaurl", "websubHub", "notaurl"},
		{"ping-service", "ftp://x.example/", "pingServices", []any{"ftp://x.example/"}},
		{"protocols", "smoke", "protocols", "smoke"},
		{"since", "yesterday", "since", "yesterday"},
		{"content", "div[[", "content", "div[["},
	} {
		s := flagSetting(t, tc.flag)
		c := Default()
		if err := s.SetFlag(&c, tc.text, false); err == nil {
			t.Errorf("--%s %q was accepted", tc.flag, tc.text)
		}
		_, err := ApplyParams(&c, map[string]any{strings.ToLower(tc.key): tc.param}, All)
		var pe *ParamError
		if !errors.As(err, &pe) || !errors.Is(err, ErrParam) || pe.Key != tc.key {
			t.Errorf("%s = %#v: %v, want a *ParamError naming %s", tc.key, tc.param, err, tc.key)
		}
	}
}

func TestApplyParamsScopeAndUnknownKeys(t *testing.T) {
	c := Default()
	warnings, err := ApplyParams(&c, map[string]any{
		"timeout":  "not a duration", // send-only: build never reads it
		"reciever": "https://rx.example/xmlrpc",
		"receiver": "https://rx.example/xmlrpc",
		"receive":  map[string]any{"bogus": 1}, // a nested table
	}, Build)
	if err != nil {
		t.Fatalf("a send-only key failed build: %v", err)
	}
	if c.Receiver != "https://rx.example/xmlrpc" {
		t.Errorf("receiver %q", c.Receiver)
	}
	var lines []string
	for _, w := range warnings {
		lines = append(lines, w.String())
	}
	got := strings.Join(lines, "\n")
	if !strings.Contains(got, "params.pingback.reciever") || !strings.Contains(got, "did you mean receiver?") {
		t.Errorf("warnings %q lack the suggestion", got)
	}
	if !strings.Contains(got, "params.pingback.receive.bogus") {
		t.Errorf("warnings %q lack the nested key", got)
	}
	// The same key fails the command that reads it.
	if _, err := ApplyParams(&c, map[string]any{"timeout": "not a duration"}, Send); err == nil {
		t.Error("send accepted a bad timeout")
	}
}

// A list flag given twice adds up; its first occurrence replaces the config's list.
func TestListFlagsAddUp(t *testing.T) {
	c := Default()
	s := flagSetting(t, "exclude")
	if _, err := ApplyParams(&c, map[string]any{"exclude": []any{"from.config.example"}}, Send); err != nil {
		t.Fatal(err)
	}
	s.SetFlag(&c, "a.example", false)
	s.SetFlag(&c, "b.example,c.example", true)
	if want := []string{"a.example", "b.example", "c.example"}; !reflect.DeepEqual(c.Exclude, want) {
		t.Errorf("exclude %v, want %v", c.Exclude, want)
	}
}

// Every flag name is unique within each command, and every setting can be
// set: a table mistake fails here, not in a user's hands.
func TestSettingsTable(t *testing.T) {
	for _, sc := range scopeNames {
		seen := map[string]string{}
		for _, s := range Settings {
			if !s.FlagIn(sc.s) {
				continue
			}
			for _, name := range append([]string{s.Flag}, s.Aliases...) {
				if other, dup := seen[name]; dup {
					t.Errorf("%s: flag --%s is both %s and %s", sc.name, name, other, s.Name())
				}
				seen[name] = s.Name()
			}
		}
	}
	keys := map[string]bool{}
	for _, s := range Settings {
		if s.Help == "" || s.Scope == 0 || s.Key == "" && s.Flag == "" {
			t.Errorf("setting %s lacks help, scope or a name", s.Name())
		}
		if s.Key != "" {
			if keys[strings.ToLower(s.Key)] {
				t.Errorf("key %s twice", s.Key)
			}
			keys[strings.ToLower(s.Key)] = true
		}
		c := Default()
		_ = s.field(&c) // panics on a field of a kind set cannot fill
	}
}

// The README's list of keys is the table's.
func TestREADMEListsEveryKey(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- settings:begin -->\n", "<!-- settings:end -->"
	text := string(readme)
	i, j := strings.Index(text, begin), strings.Index(text, end)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q ... %q block", begin, end)
	}
	if got, want := text[i+len(begin):j], Markdown(); got != want {
		if os.Getenv("HP_UPDATE_README") == "1" {
			os.WriteFile("../README.md", []byte(text[:i+len(begin)]+want+text[j:]), 0o644)
			return
		}
		t.Errorf("README.md's settings table is not the table of config.Settings; run HP_UPDATE_README=1 go test ./config\ngot:\n%s\nwant:\n%s", got, want)
	}
}
