package hugosite

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
)

// TestOfflineMakesNoRequest: a site whose content fetches a remote resource
// (resources.GetRemote in a shortcode) makes no request when loaded Offline,
// as send and inject load it; without Offline it does, like hugo.
func TestOfflineMakesNoRequest(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte(`<a href="https://remote.example/text">remote</a>`))
	}))
	defer srv.Close()
	site := func() string {
		return writeSite(t, `
-- hugo.toml --
baseURL = "https://blog.example.net/"
disableKinds = ["taxonomy", "term", "RSS", "sitemap"]
[security.http]
urls = [".*"]
-- layouts/single.html --
{{ .Content }}
-- layouts/list.html --
list
-- layouts/_shortcodes/remote.html --
{{ with try (resources.GetRemote "`+srv.URL+`/data.txt") }}{{ with .Value }}{{ .Content | safeHTML }}{{ end }}{{ end }}
-- content/post.md --
---
title: Post
---
Before {{< remote >}} after.
`)
	}
	for _, offline := range []bool{true, false} {
		hits.Store(0)
		s, err := Load(context.Background(), Options{Dir: site(), Offline: offline})
		if err != nil {
			t.Fatal(err)
		}
		pages, err := s.Pages(context.Background(), nil)
		s.Close()
		if err != nil && !offline {
			t.Fatal(err)
		}
		got := hits.Load()
		switch {
		case offline && got != 0:
			t.Errorf("offline load made %d requests", got)
		case !offline && got == 0:
			t.Errorf("online load made no request: the test does not exercise GetRemote (pages %+v)", pages)
		}
		if p := pages["https://blog.example.net/post/"]; !offline && !slices.Equal(p.Links, []string{"https://remote.example/text"}) {
			t.Errorf("online page %+v, want the remote link in its content", pages)
		}
	}
}
