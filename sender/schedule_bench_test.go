package sender

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hugo-pingback/hugo-pingback/linkback"
	"github.com/hugo-pingback/hugo-pingback/state"
)

// BenchmarkDeliverySchedule sends to 32 hosts, 5 targets each, on loopback:
// every answer takes 50 ms, requests to one host are 1 s apart (discovery
// GETs and notification POSTs alike), 8 workers. The ideal schedule for
// those constraints is bound by the longest host: 10 requests (a discovery
// and a pingback per target), so 10 × 50 ms + 9 × 1 s = 9.5 s; the 320
// requests take 2 s of 8 workers' time. x-ideal is the run's time over
// that (target: at most 1.2). A worker per host would take four waves.
//
//	go test ./sender -run '^$' -bench DeliverySchedule -benchtime 2x
func BenchmarkDeliverySchedule(b *testing.B) {
	const (
		hosts, perHost = 32, 5
		latency        = 50 * time.Millisecond
		interval       = time.Second
		workers        = 8
	)
	var servers []*httptest.Server
	for range hosts {
		var srv *httptest.Server
		srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(latency) // the receiver's answer time, not an ordering
			if r.Method == http.MethodPost {
				w.Header().Set("Content-Type", "text/xml")
				fmt.Fprint(w, `<?xml version="1.0"?><methodResponse><params><param><value><string>ok</string></value></param></params></methodResponse>`)
				return
			}
			w.Header().Set("X-Pingback", srv.URL+"/xmlrpc")
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<html><head><title>t</title></head><body>target</body></html>")
		}))
		servers = append(servers, srv)
		defer srv.Close()
	}
	public := b.TempDir()
	blog := httptest.NewServer(http.FileServer(http.Dir(public)))
	defer blog.Close()
	// Page p links to one target on each of 5 hosts; every host gets 5.
	for p := range hosts {
		var body strings.Builder
		body.WriteString("<!doctype html><html><head><title>p</title></head><body><article>")
		for k := range perHost {
			fmt.Fprintf(&body, `<a href="%s/t/%d/%d">x</a> `, servers[(p+k*7)%hosts].URL, p, k)
		}
		body.WriteString("</article></body></html>")
		path := filepath.Join(public, "posts", fmt.Sprint(p), "index.html")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body.String()), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	requests := 2 * perHost
	ideal := time.Duration(requests)*latency + time.Duration(requests-1)*interval
	var total time.Duration
	for b.Loop() {
		cfg := benchConfig(public, blog.URL+"/", filepath.Join(b.TempDir(), "ledger.db"))
		cfg.AllowPrivate, cfg.HostInterval, cfg.Concurrency = true, interval, workers
		l, err := state.Open(cfg.Ledger, nil)
		if err != nil {
			b.Fatal(err)
		}
		s, err := New(cfg, l, linkback.NewClient(linkback.ClientOptions{AllowPrivate: true, Timeout: 5 * time.Second}), Options{All: true})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		rep, err := s.Run(context.Background())
		total += time.Since(start)
		l.Close()
		if err != nil {
			b.Fatal(err)
		}
		if rep.Notified != hosts*perHost {
			b.Fatalf("notified %d of %d: %+v", rep.Notified, hosts*perHost, rep.Items)
		}
	}
	b.ReportMetric(float64(total)/float64(b.N)/float64(ideal), "x-ideal")
	b.ReportMetric(ideal.Seconds(), "ideal-s")
}
