package config

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestWithDefaults(t *testing.T) {
	c := Config{}.WithDefaults()
	if c.SiteDir != "." || c.PublishDir != "public" || c.Ledger != filepath.FromSlash(".hugo-pingback/ledger.db") {
		t.Errorf("paths: %q %q %q", c.SiteDir, c.PublishDir, c.Ledger)
	}
	if c.Concurrency != 8 || c.Timeout != 10*time.Second || c.HostInterval != time.Second || c.MaxTime != 5*time.Minute || c.FloodLimit != 100 {
		t.Errorf("limits: %+v", c)
	}
	if !reflect.DeepEqual(c.Protocols, []string{"webmention", "pingback"}) || !reflect.DeepEqual(c.SkipRels, []string{"nofollow", "ugc", "sponsored"}) {
		t.Errorf("lists: %v %v", c.Protocols, c.SkipRels)
	}
	// Paths follow the site dir.
	if c := (Config{SiteDir: "blog"}).WithDefaults(); c.PublishDir != filepath.Join("blog", "public") || c.Ledger != filepath.Join("blog", ".hugo-pingback", "ledger.db") {
		t.Errorf("site-relative paths: %q %q", c.PublishDir, c.Ledger)
	}
	// A base URL gets its trailing slash.
	if c := (Config{BaseURL: "https://a.example"}).WithDefaults(); c.BaseURL != "https://a.example/" {
		t.Errorf("base URL %q", c.BaseURL)
	}
	// Applying defaults twice changes nothing; a negative interval (none) survives.
	once := Config{HostInterval: -1, SkipRels: []string{}}.WithDefaults()
	if twice := once.WithDefaults(); !reflect.DeepEqual(once, twice) || twice.HostInterval >= 0 {
		t.Errorf("not idempotent: %+v vs %+v", once, twice)
	}
	// An explicit empty list is kept: the user wants no rel opt-outs.
	if len(once.SkipRels) != 0 {
		t.Errorf("empty SkipRels replaced by %v", once.SkipRels)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want string // substring of the error; "" means valid
	}{
		{"zero value", Config{}, ""},
		{"good URLs", Config{BaseURL: "https://blog.example.net/", Receiver: "https://webmention.io/x/xmlrpc"}, ""},
		{"ftp base URL", Config{BaseURL: "ftp://blog.example.net/"}, "ftp://blog.example.net/"},
		{"relative base URL", Config{BaseURL: "/blog/"}, "absolute"},
		{"userinfo in receiver", Config{Receiver: "https://u:p@r.example/"}, "user"},
		{"webmention without host", Config{Webmention: "https:///x"}, "no host"},
		{"unknown protocol", Config{Protocols: []string{"pingback", "smoke-signal"}}, "smoke-signal"},
		{"multihost root checked", Config{Roots: []Root{{Dir: "public/fr", BaseURL: "mailto:x@y"}}}, "mailto:x@y"},
	}
	for _, c := range cases {
		err := c.cfg.Validate()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: unexpected error %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want one naming %q", c.name, err, c.want)
		}
	}
}
