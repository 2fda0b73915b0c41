package linkback

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
)

func TestVerifyLive(t *testing.T) {
	const (
		t1 = "https://one.example/post/"
		t2 = "https://two.example/a?b=1&c=2"
		t3 = "https://three.example/"
	)
	pad := func(n int) string { return "<p>" + strings.Repeat("lorem ipsum ", n/12) + "</p>" }
	tests := []struct {
		name    string
		page    string
		targets []string
		missing []string
		late    []string
	}{
		{
			// Every link is there.
			name:    "all present",
			page:    `<html><body><a href="` + t1 + `">one</a> <a href="https://two.example/a?b=1&amp;c=2">two</a></body></html>`,
			targets: []string{t1, t2},
		},
		{
			// A link that is missing from the live page (old deploy still served).
			name:    "one missing",
			page:    `<html><body><a href="` + t1 + `">one</a></body></html>`,
			targets: []string{t1, t3},
			missing: []string{t3},
		},
		{
			// Relative links resolve against the page URL, fragments do not count.
			name:    "relative and fragment",
			page:    `<html><body><a href="/other/#top">x</a></body></html>`,
			targets: []string{"SERVER/other/"},
		},
		{
			// Upper-case scheme and host, spaces, a fragment: the same links.
			name:    "spellings",
			page:    `<a href=" HTTPS://ONE.EXAMPLE/post/ ">1</a><a href="https://two.example/a?b=1&amp;c=2#frag">2</a><a href="mailto:x@three.example">3</a>`,
			targets: []string{t1, t2, t3},
			missing: []string{t3},
		},
		{
			// Spellings linkurl.Key takes as the same page, as the receiver
			// and the rest of hugo-pingback do: the default port, the
			// trailing slash, a trailing index.html.
			name:    "same page",
			page:    `<a href="https://one.example:443/post">1</a><a href="https://three.example/index.html">3</a>`,
			targets: []string{t1, t3},
		},
		{
			// Another scheme or port is another page.
			name:    "other origin",
			page:    `<a href="http://one.example/post/">1</a><a href="https://three.example:8443/">3</a>`,
			targets: []string{t1, t3},
			missing: []string{t1, t3},
		},
		{
			// <base href> changes what relative links mean.
			name:    "base href",
			page:    `<html><head><base href="https://one.example/"></head><body><a href="post/">x</a></body></html>`,
			targets: []string{t1},
		},
		{
			// A link in a comment, or a <link> element, is not an <a href>.
			name:    "not links",
			page:    `<html><head><link rel="me" href="` + t1 + `"></head><body><!-- <a href="` + t3 + `">x</a> --></body></html>`,
			targets: []string{t1, t3},
			missing: []string{t1, t3},
		},
		{
			// Past 150 KB: there, but WordPress will not see it.
			name:    "link past WordPress's read limit",
			page:    `<html><body><a href="` + t1 + `">a</a>` + pad(WordPressReadLimit) + `<a href="` + t2 + `">b</a></body></html>`,
			targets: []string{t1, t2},
			late:    []string{t2},
		},
		{
			// Past 1 MiB: not read at all.
			name:    "link past the read cap",
			page:    `<html><body>` + pad(MaxPageBytes) + `<a href="` + t1 + `">a</a></body></html>`,
			targets: []string{t1},
			missing: []string{t1},
		},
	}
	c := loopbackClient(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				page(tt.page)(w, r)
			})
			fix := func(list []string) []string {
				var out []string
				for _, s := range list {
					out = append(out, strings.ReplaceAll(s, "SERVER", srv.URL))
				}
				return out
			}
			lc, err := c.CheckLive(context.Background(), srv.URL+"/2024/post/", fix(tt.targets))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(lc.Missing, fix(tt.missing)) {
				t.Errorf("Missing = %q, want %q", lc.Missing, fix(tt.missing))
			}
			if !reflect.DeepEqual(lc.Late, fix(tt.late)) {
				t.Errorf("Late = %q, want %q", lc.Late, fix(tt.late))
			}
			missing, err := c.VerifyLive(context.Background(), srv.URL+"/2024/post/", fix(tt.targets))
			if err != nil || !reflect.DeepEqual(missing, lc.Missing) {
				t.Errorf("VerifyLive = %q, %v; CheckLive said %q", missing, err, lc.Missing)
			}
		})
	}
}

func TestVerifyLiveNotLive(t *testing.T) {
	var followed atomic.Int32
	tests := []struct {
		name   string
		status int
		where  string // Location, for redirects
	}{
		{"not deployed yet", http.StatusNotFound, ""},
		{"server error", http.StatusInternalServerError, ""},
		{"redirected, e.g. missing trailing slash", http.StatusMovedPermanently, "/2024/post/"},
		{"temporary redirect", http.StatusFound, "/elsewhere"},
	}
	c := loopbackClient(t)
	for _, tt := range tests {
		srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/2024/post" {
				followed.Add(1)
				page(`<a href="https://one.example/">x</a>`)(w, r)
				return
			}
			if tt.where != "" {
				w.Header().Set("Location", tt.where)
			}
			w.WriteHeader(tt.status)
		})
		missing, err := c.VerifyLive(context.Background(), srv.URL+"/2024/post", []string{"https://one.example/"})
		var nl *NotLiveError
		if !errors.As(err, &nl) || !errors.Is(err, ErrNotLive) || nl.StatusCode != tt.status {
			t.Errorf("%s: err = %v, want a NotLiveError with HTTP %d", tt.name, err, tt.status)
			continue
		}
		if missing != nil {
			t.Errorf("%s: missing = %q alongside an error", tt.name, missing)
		}
		if tt.where != "" && nl.Location != srv.URL+tt.where {
			t.Errorf("%s: Location = %q", tt.name, nl.Location)
		}
		if Classify(err) != ClassRetry {
			t.Errorf("%s: Classify = %s, want retry", tt.name, Classify(err))
		}
		if got := Explain(err); !strings.HasPrefix(got, srv.URL+"/2024/post answered HTTP ") {
			t.Errorf("%s: Explain = %q", tt.name, got)
		}
	}
	if followed.Load() != 0 {
		t.Error("VerifyLive followed a redirect")
	}
}

// VerifyLive does not follow redirects, but Discover with the same client still does.
func TestVerifyLiveLeavesClientAlone(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old" {
			http.Redirect(w, r, "/new", http.StatusFound)
			return
		}
		w.Header().Set("X-Pingback", "https://rpc.example/")
	})
	c := loopbackClient(t)
	if _, err := c.VerifyLive(context.Background(), srv.URL+"/old", nil); !errors.Is(err, ErrNotLive) {
		t.Fatalf("VerifyLive err = %v", err)
	}
	ep, err := c.Discover(context.Background(), srv.URL+"/old", []string{ProtoPingback})
	if err != nil || ep.Pingback != "https://rpc.example/" {
		t.Errorf("Discover after VerifyLive = %+v, %v", ep, err)
	}
}

func TestHrefHost(t *testing.T) {
	base, _ := url.Parse("https://me.example/2024/post/")
	tests := []struct{ href, want string }{
		{"https://One.Example/x", "one.example"},          // absolute, host case folded
		{"HTTP://two.example:8080?q", "two.example:8080"}, // port kept, query cut
		{"//three.example/x", "three.example"},            // protocol-relative
		{"/local/", "me.example"},                         // root-relative: the page's host
		{"../up", "me.example"},                           // relative
		{"?page=2", "me.example"},                         // query only
		{"mailto:a@b.example", ""},                        // another scheme
		{"javascript:void(0)", ""},                        // another scheme
		{"  https://four.example  ", "four.example"},      // HTML whitespace around
	}
	for _, tt := range tests {
		if got := hrefHost(tt.href, base); got != tt.want {
			t.Errorf("hrefHost(%q) = %q, want %q", tt.href, got, tt.want)
		}
	}
}
