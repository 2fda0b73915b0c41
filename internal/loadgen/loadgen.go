// Package loadgen sends a bounded load of form POSTs to a receiver on
// loopback and measures it: the rate of answers, their statuses and the
// latency percentiles. The receiver benchmarks and `go run
// ./internal/loadgen/run` (for the peak RSS of the real serve binary) use
// it, so the numbers in the README are reproducible.
//
// It is for benchmarks only: it never runs in the tool, and it refuses any
// URL that is not on loopback.
package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config is one load run.
type Config struct {
	// URL is where every request is POSTed; it must be on loopback.
	URL string
	// Requests is how many requests are sent in all; Concurrency how many
	// are in flight at once (default 32).
	Requests    int
	Concurrency int
	// Form returns the i-th request's form (application/x-www-form-urlencoded).
	Form func(i int) url.Values
	// Body, used when Form is nil, returns the i-th request's content type
	// and body (an XML-RPC call).
	Body func(i int) (contentType string, body []byte)
	// Header, when set, adds headers to the i-th request.
	Header func(i int, h http.Header)
}

// Result is what a run measured.
type Result struct {
	Requests int
	Elapsed  time.Duration
	Status   map[int]int // answers by HTTP status
	Errors   int         // requests with no answer
	P50, P99 time.Duration
	Max      time.Duration
}

// Rate returns the answers per second.
func (r Result) Rate() float64 { return float64(r.Requests-r.Errors) / r.Elapsed.Seconds() }

func (r Result) String() string {
	var st []string
	for code, n := range r.Status {
		st = append(st, fmt.Sprintf("%d×%d", n, code))
	}
	slices.Sort(st)
	return fmt.Sprintf("%d requests in %s: %.0f/s, p50 %s, p99 %s, max %s; %s; %d errors",
		r.Requests, r.Elapsed.Round(time.Millisecond), r.Rate(), r.P50.Round(10*time.Microsecond),
		r.P99.Round(10*time.Microsecond), r.Max.Round(10*time.Microsecond), strings.Join(st, " "), r.Errors)
}

// ErrNotLoopback is returned for a URL that is not on loopback.
var ErrNotLoopback = errors.New("loadgen sends only to loopback addresses")

// Run sends the load and waits for every answer (or ctx).
func Run(ctx context.Context, c Config) (Result, error) {
	u, err := url.Parse(c.URL)
	if err != nil {
		return Result{}, fmt.Errorf("loadgen URL %q: %w", c.URL, err)
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return Result{}, fmt.Errorf("%s: %w", c.URL, ErrNotLoopback)
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 32
	}
	client := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: c.Concurrency, MaxConnsPerHost: c.Concurrency},
	}
	defer client.CloseIdleConnections()
	lat := make([]time.Duration, c.Requests)
	status := make([]int, c.Requests)
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range c.Concurrency {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= c.Requests || ctx.Err() != nil {
					return
				}
				ctype, body := "application/x-www-form-urlencoded", []byte(nil)
				if c.Form != nil {
					body = []byte(c.Form(i).Encode())
				} else {
					ctype, body = c.Body(i)
				}
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
				req.Header.Set("Content-Type", ctype)
				if c.Header != nil {
					c.Header(i, req.Header)
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					status[i] = resp.StatusCode
				}
				lat[i] = time.Since(t0)
			}
		})
	}
	wg.Wait()
	r := Result{Requests: c.Requests, Elapsed: time.Since(start), Status: map[int]int{}}
	var ok []time.Duration
	for i, s := range status {
		if s == 0 {
			r.Errors++
			continue
		}
		r.Status[s]++
		ok = append(ok, lat[i])
	}
	if len(ok) > 0 {
		slices.Sort(ok)
		r.P50 = ok[len(ok)/2]
		r.P99 = ok[min(len(ok)-1, len(ok)*99/100)]
		r.Max = ok[len(ok)-1]
	}
	return r, ctx.Err()
}
