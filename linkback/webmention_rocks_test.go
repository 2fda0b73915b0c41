package linkback

import (
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

// receivedPost is what a test server saw of a form POST.
type receivedPost struct {
	uri         string // path and query
	contentType string
	form        url.Values // body fields only
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
func (c rocksCase) serve(t *testing.T) (srv *httptest.Server, posts chan receivedPost) {
	t.Helper()
	posts = make(chan receivedPost, 4)
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
			case posts <- receivedPost{uri: r.URL.RequestURI(), form: r.PostForm}:
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

// TestWebmentionRocks serves each of the 23 webmention.rocks discovery
// cases on loopback, runs the real Client.Discover against it, then sends
// the Webmention and checks that the right URL got it: as on the public
// suite, a wrong endpoint is only proven wrong by where the POST lands.
func TestWebmentionRocks(t *testing.T) {
	client := NewClient(ClientOptions{AllowPrivate: true})
	for _, c := range loadRocksCases(t) {
		t.Run(c.name, func(t *testing.T) {
			srv, posts := c.serve(t)
			target := srv.URL + c.path
			ep, err := client.Discover(t.Context(), target, []string{ProtoWebmention, ProtoPingback})
			if err != nil {
				t.Fatalf("Discover(%s): %v", target, err)
			}
			if want := srv.URL + c.want; ep.Webmention != want {
				t.Fatalf("%s\ngot endpoint  %q\nwant endpoint %q", c.comment, ep.Webmention, want)
			}
			// The notification names the target as linked, not where it
			// redirected to (test 23).
			if ep.Target != target {
				t.Errorf("Endpoints.Target = %q, want %q", ep.Target, target)
			}
			const source = "https://source.example/post/"
			res, err := client.Webmention(t.Context(), ep.Webmention, source, target)
			if err != nil {
				t.Fatalf("Webmention: %v", err)
			}
			if res.Status != http.StatusAccepted {
				t.Errorf("status %d, want 202", res.Status)
			}
			r := <-posts
			if got := r.uri; got != c.want {
				t.Errorf("POST went to %s, want %s", got, c.want)
			}
			// Test 21: the endpoint's query stays in the URL; only source
			// and target are in the body.
			if r.form.Get("source") != source || r.form.Get("target") != target || len(r.form) != 2 {
				t.Errorf("form body = %v, want exactly source and target", r.form)
			}
		})
	}
}
