package linkback

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindHub(t *testing.T) {
	tests := []struct {
		name, file, want string
	}{
		// RSS 2.0 declares its hub with atom:link; RSS's own <link> has no rel.
		{"rss atom:link", "rss.xml", "https://pubsubhubbub.appspot.com/"},
		// Atom: a plain <link rel="hub">, after the self and alternate links.
		{"atom link", "atom.xml", "https://websubhub.example/hub?site=me"},
		// Hugo's default RSS template declares none; escaped markup in a
		// description is text, not a link.
		{"hugo default rss", "hugo-default-rss.xml", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			feed, err := os.ReadFile(filepath.Join("testdata", "websub", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if got := FindHub(feed); got != tt.want {
				t.Errorf("FindHub(%s) = %q, want %q", tt.file, got, tt.want)
			}
		})
	}
}

func TestFindHubInline(t *testing.T) {
	tests := []struct {
		name, feed, want string
	}{
		// rel is a token list.
		{"rel list", `<feed><link rel="self hub" href="https://h.example/"/></feed>`, "https://h.example/"},
		// A hub link without href is skipped for the next one.
		{"no href", `<feed><link rel="hub"/><link rel="hub" href="https://h2.example/"/></feed>`, "https://h2.example/"},
		// The first hub wins (WebSub allows several; publishing to one is enough).
		{"first of two", `<feed><link rel="hub" href="https://a.example/"/><link rel="hub" href="https://b.example/"/></feed>`, "https://a.example/"},
		// Not XML at all.
		{"garbage", `{"version": "https://jsonfeed.org/version/1"}`, ""},
		// Empty.
		{"empty", ``, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FindHub([]byte(tt.feed)); got != tt.want {
				t.Errorf("FindHub(%q) = %q, want %q", tt.feed, got, tt.want)
			}
		})
	}
}

func TestWebSubPublish(t *testing.T) {
	const feed = "https://me.example/index.xml"
	tests := []struct {
		name      string
		status    int
		wantClass Class
	}{
		{"204 no content", http.StatusNoContent, ClassDone}, // the usual hub answer
		{"202 accepted", http.StatusAccepted, ClassDone},    // queued
		{"400 refused", http.StatusBadRequest, ClassPermanent},
		{"500 retry", http.StatusInternalServerError, ClassRetry},
	}
	client := NewClient(ClientOptions{AllowPrivate: true})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, posts := formServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
			})
			hub := srv.URL + "/hub?site=me"
			res, err := client.WebSubPublish(t.Context(), hub, feed)
			if got := Classify(err); got != tt.wantClass {
				t.Errorf("Classify(%v) = %s, want %s", err, got, tt.wantClass)
			}
			var he *HTTPError
			if tt.status >= 300 && !errors.As(err, &he) {
				t.Errorf("err = %v, want *HTTPError", err)
			}
			if res == nil || res.Protocol != ProtoWebSub || res.Status != tt.status || res.Endpoint != hub {
				t.Errorf("Result = %+v", res)
			}
			p := <-posts
			if p.uri != "/hub?site=me" || p.form.Get("hub.mode") != "publish" || p.form.Get("hub.url") != feed || len(p.form) != 2 {
				t.Errorf("POST %s form %v, want hub.mode=publish&hub.url=%s", p.uri, p.form, feed)
			}
		})
	}
}

func FuzzFindHub(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "websub", "*.xml"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, feed []byte) {
		hub := FindHub(feed)
		// A hub is an attribute value of the feed: never empty-but-found,
		// never padded, and it appears in the feed (entities aside).
		if hub != strings.TrimSpace(hub) {
			t.Fatalf("hub %q not trimmed", hub)
		}
		if hub != "" && !bytes.Contains(bytes.ToLower(feed), []byte("hub")) {
			t.Fatalf("hub %q from a feed that never says hub", hub)
		}
	})
}
