// Command run sends a Webmention load to a running `hugo-pingback serve` on
// loopback and prints the rate and latencies, for measuring the real
// binary (its peak RSS under /usr/bin/time -v):
//
//	hugo-pingback serve --base-url https://blog.example.net/ --public-url https://rx.example.net \
//	    --allow-private --trust-proxy --listen 127.0.0.1:8080 &
//	go run ./internal/loadgen/run -url http://127.0.0.1:8080/webmention \
//	    -target https://blog.example.net/post/ -n 50000
//
// Each request names another source host (127.x.y.z: all loopback) and
// carries another X-Forwarded-For address, so that --trust-proxy makes it
// a flood of many clients rather than one client's 429s.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"

	"github.com/hugo-pingback/hugo-pingback/internal/loadgen"
)

func main() {
	endpoint := flag.String("url", "http://127.0.0.1:8080/webmention", "the receiver's Webmention endpoint (loopback only)")
	target := flag.String("target", "", "a page of the site every request names")
	n := flag.Int("n", 20000, "requests in all")
	c := flag.Int("c", 32, "requests in flight at once")
	flag.Parse()
	if *target == "" {
		fmt.Fprintln(os.Stderr, "run: -target is required")
		os.Exit(2)
	}
	res, err := loadgen.Run(context.Background(), loadgen.Config{
		URL: *endpoint, Requests: *n, Concurrency: *c,
		Form: func(i int) url.Values {
			host := fmt.Sprintf("127.%d.%d.%d", 1+i/65536%250, i/256%256, 1+i%250)
			return url.Values{"source": {"http://" + host + ":9/post"}, "target": {*target}}
		},
		Header: func(i int, h http.Header) {
			h.Set("X-Forwarded-For", fmt.Sprintf("198.51.%d.%d", i/256%256, i%256))
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "run:", err)
		os.Exit(1)
	}
	fmt.Println(res)
}
