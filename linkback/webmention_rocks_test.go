package linkback

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

// rocksCase is one webmention.rocks discovery test as stored in
// testdata/webmention/rocks/NN_Name.txtar.
type rocksCase struct {
	name     string // file name without extension: "01_HTTPLinkHeaderUnquotedRelRelativeURL"
	comment  string // what the case checks, from the public suite
	path     string // where the target is served
	redirect string // if set, path redirects here (test 23)
	headers  []string
	body     []byte
	want     string // endpoint path (and query) relative to the server
}

func loadRocksCases(t testing.TB) []rocksCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "webmention", "rocks", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []rocksCase
	for _, f := range files {
		a, err := txtar.ParseFile(f)
		if err != nil {
			t.Fatalf("parse %s: %v", f, err)
		}
		c := rocksCase{
			name:    strings.TrimSuffix(filepath.Base(f), ".txtar"),
			comment: strings.TrimSpace(string(a.Comment)),
		}
		for _, file := range a.Files {
			data := string(file.Data)
			switch file.Name {
			case "path":
				c.path = strings.TrimSpace(data)
			case "redirect":
				c.redirect = strings.TrimSpace(data)
			case "headers":
				c.headers = strings.Split(strings.TrimRight(data, "\n"), "\n")
			case "body.html":
				c.body = file.Data
			case "want":
				c.want = strings.TrimSpace(data)
			default:
				t.Fatalf("%s: unknown section %q", f, file.Name)
			}
		}
		if c.path == "" || c.want == "" || c.body == nil {
			t.Fatalf("%s: needs path, body.html and want", f)
		}
		cases = append(cases, c)
	}
	return cases
}

// serve starts a loopback server that answers like the webmention.rocks
// page of c: the page itself (after an optional redirect) with its raw
// headers, and records POSTs so a test can see which endpoint got them.
func (c rocksCase) serve(t *testing.T) (srv *httptest.Server, posts chan *http.Request) {
	t.Helper()
	posts = make(chan *http.Request, 4)
	pagePath := c.path
	if c.redirect != "" {
		pagePath = c.redirect
	}
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		base := "http://" + r.Host
		switch {
		case r.Method == http.MethodPost:
			_ = r.ParseForm()
			select {
			case posts <- r:
			default:
			}
			w.WriteHeader(http.StatusAccepted)
		case c.redirect != "" && r.URL.Path == c.path:
			http.Redirect(w, r, c.redirect, http.StatusFound)
		case r.URL.Path == pagePath:
			for _, h := range c.headers {
				name, value, _ := strings.Cut(h, ":")
				value = strings.ReplaceAll(strings.TrimSpace(value), "BASE", base)
				// Set the map directly so the name goes out with its
				// casing as written (webmention.rocks test 7 sends "LinK").
				w.Header()[name] = append(w.Header()[name], value)
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = io.WriteString(w, strings.ReplaceAll(string(c.body), "BASE", base))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, posts
}

func TestWebmentionRocksCasesComplete(t *testing.T) {
	// The public suite has exactly 23 numbered discovery tests; each must
	// have its archive here.
	cases := loadRocksCases(t)
	if len(cases) != 23 {
		t.Fatalf("got %d webmention.rocks cases, want 23", len(cases))
	}
	for i, c := range cases {
		if prefix := fmt.Sprintf("%02d_", i+1); !strings.HasPrefix(c.name, prefix) {
			t.Errorf("case %d is named %s, want prefix %s", i+1, c.name, prefix)
		}
	}
}

// TestWebmentionRocksParsers runs each case through the pure parsers on the
// bytes as served, with the final URL the server would report.
func TestWebmentionRocksParsers(t *testing.T) {
	for _, c := range loadRocksCases(t) {
		t.Run(c.name, func(t *testing.T) {
			base, _ := url.Parse("http://rocks.example")
			final := c.path
			if c.redirect != "" {
				final = c.redirect
			}
			page := base.ResolveReference(&url.URL{Path: final})
			h := http.Header{}
			for _, line := range c.headers {
				name, value, _ := strings.Cut(line, ":")
				h.Add(name, strings.ReplaceAll(strings.TrimSpace(value), "BASE", "http://rocks.example"))
			}
			body := []byte(strings.ReplaceAll(string(c.body), "BASE", "http://rocks.example"))
			got := findWebmentionHeader(h, page)
			if got == "" {
				got, _ = findWebmentionHTML(body, page)
			}
			want := "http://rocks.example" + c.want
			if got != want {
				t.Errorf("%s\ngot endpoint  %q\nwant endpoint %q", c.comment, got, want)
			}
		})
	}
}

// rocksDiscover is what the test uses to discover over HTTP; it is the
// package's Client.Discover once that exists.
var rocksDiscover = func(ctx context.Context, t *testing.T, target string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	if ep := findWebmentionHeader(resp.Header, resp.Request.URL); ep != "" {
		return ep
	}
	ep, _ := findWebmentionHTML(body, resp.Request.URL)
	return ep
}

// TestWebmentionRocks serves each of the 23 webmention.rocks discovery
// cases on loopback and discovers the endpoint over real HTTP.
func TestWebmentionRocks(t *testing.T) {
	for _, c := range loadRocksCases(t) {
		t.Run(c.name, func(t *testing.T) {
			srv, _ := c.serve(t)
			got := rocksDiscover(t.Context(), t, srv.URL+c.path)
			if want := srv.URL + c.want; got != want {
				t.Errorf("%s\ngot endpoint  %q\nwant endpoint %q", c.comment, got, want)
			}
		})
	}
}
