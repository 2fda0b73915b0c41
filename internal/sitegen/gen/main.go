// Command gen writes a synthetic built Hugo site for benchmarks:
//
//	go run ./internal/sitegen/gen -n 10000 -o /tmp/site
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/hugo-pingback/hugo-pingback/internal/sitegen"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	n := fs.Int("n", 1000, "number of single pages")
	out := fs.String("o", "", "output directory (required)")
	seed := fs.Int64("seed", 1, "seed")
	base := fs.String("base-url", sitegen.DefaultBaseURL, "base URL of the site")
	lists := fs.Bool("lists", true, "also write list pages, aliases, 404.html, sitemap.xml, index.xml, css")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("-o DIR is required")
	}
	st, err := sitegen.Generate(*out, sitegen.Options{Pages: *n, Seed: *seed, BaseURL: *base, ListPages: *lists})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d pages, %d files, %d bytes, %d content links in %s\n", st.Pages, st.Files, st.Bytes, st.ContentLinks, *out)
	return nil
}
