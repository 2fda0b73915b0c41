package hugosite_test

import (
	"context"
	"fmt"

	"github.com/hugo-pingback/hugo-pingback/config"
	"github.com/hugo-pingback/hugo-pingback/hugosite"
)

// Load a site's configuration and apply it to a Config, before the flags.
func ExampleSite_Apply() {
	site, err := hugosite.Load(context.Background(), hugosite.Options{Dir: "../example-site", Environment: "production"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer site.Close()
	cfg := config.Default()
	if _, err := site.Apply(&cfg, config.Inject); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.BaseURL, cfg.Environment)
	fmt.Println(cfg.Receiver)
	fmt.Println(hugosite.PlaceholderBaseURL(cfg.BaseURL))
	// Output:
	// https://blog.example.net/ production
	// https://webmention.io/blog.example.net/xmlrpc
	// false
}
