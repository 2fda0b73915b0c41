package receiver_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/hugo-pingback/hugo-pingback/config"
	"github.com/hugo-pingback/hugo-pingback/mention"
	"github.com/hugo-pingback/hugo-pingback/receiver"
)

// A receiver for the built site in public/, on a bbolt store: mount its
// Handler, run its workers, and it answers senders.
func Example() {
	dir, _ := os.MkdirTemp("", "receiver-example")
	defer os.RemoveAll(dir)
	page := filepath.Join(dir, "public", "posts", "hello", "index.html")
	os.MkdirAll(filepath.Dir(page), 0o755)
	os.WriteFile(page, []byte("<html><body><p>Hello</p></body></html>"), 0o644)

	store, err := mention.Open(filepath.Join(dir, "mentions.db"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()
	targets, err := receiver.NewSiteTargets([]config.Root{{Dir: filepath.Join(dir, "public"), BaseURL: "https://blog.example.net/"}}, receiver.SiteOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	srv, err := receiver.New(receiver.Options{
		Store:     store,
		BaseURLs:  []string{"https://blog.example.net/"},
		Targets:   targets,
		PublicURL: "https://mentions.blog.example.net",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go srv.Run(ctx)
	web := httptest.NewServer(srv.Handler())
	defer web.Close()

	// A Webmention for a page the site does not have is refused at once,
	// before anything is fetched.
	resp, err := http.PostForm(web.URL+"/webmention", url.Values{
		"source": {"https://other.example/post"},
		"target": {"https://blog.example.net/posts/nope/"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	reason, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, strings.TrimSpace(string(reason)))
	// Output: 400 target is not a page of this site
}
