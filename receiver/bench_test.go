package receiver

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hugo-pingback/hugo-pingback/internal/loadgen"
	"github.com/hugo-pingback/hugo-pingback/mention"
)

// boltRig is a rig on the real bbolt store, as serve runs it.
func boltRig(b *testing.B, opts ...rigOptions) *rig {
	b.Helper()
	st, err := mention.Open(filepath.Join(b.TempDir(), "mentions.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	opts = append([]rigOptions{noLimits, func(o *Options) {
		o.Store = st
		o.Limits.Queue = 1 << 20
	}}, opts...)
	return newRig(b, opts...)
}

// report puts a load run's numbers in the benchmark output.
func report(b *testing.B, res loadgen.Result, want int) {
	b.Helper()
	if res.Errors > 0 || res.Status[want] != res.Requests {
		b.Fatalf("answers: %s", res)
	}
	b.ReportMetric(res.Rate(), "req/s")
	b.ReportMetric(float64(res.P50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(res.P99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(0, "ns/op") // the per-request time is the rate's inverse, not a loop's
	b.Logf("%s", res)
}

// Webmention POSTs accepted per second from a loopback client: each one
// committed to the bbolt store (group commit) before its 202, while the
// workers verify the queue behind it. The floor beside it is the store
// alone: the same number of Enqueue calls, as concurrent, on the same
// disk in the same run, so the receiver's own share of the latency shows
// whatever else the machine is doing.
//
//	go test ./receiver -run '^$' -bench WebmentionAccept -benchtime 20000x
func BenchmarkWebmentionAccept(b *testing.B) {
	b.Run("http", func(b *testing.B) {
		r := boltRig(b)
		hello := target("posts/hello/")
		src := r.src.set("/source", 200, linking("A source", hello))
		b.ResetTimer()
		res, err := loadgen.Run(context.Background(), loadgen.Config{
			URL: r.http.URL + "/webmention", Requests: b.N, Concurrency: 32,
			Form: func(i int) url.Values {
				// Distinct sources: each request is a new mention to verify.
				return url.Values{"source": {fmt.Sprintf("%s?p=%d", src, i)}, "target": {hello}}
			},
		})
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		report(b, res, 202)
	})
	b.Run("store-floor", func(b *testing.B) {
		st, err := mention.Open(filepath.Join(b.TempDir(), "mentions.db"), nil)
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		lat := make([]time.Duration, b.N)
		var next atomic.Int64
		var wg sync.WaitGroup
		b.ResetTimer()
		start := time.Now()
		for range 32 {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= b.N {
						return
					}
					t0 := time.Now()
					req := &mention.Request{Source: fmt.Sprintf("https://src.example/p?%d", i), Target: target("posts/hello/"), Protocol: mention.Webmention}
					if err := st.Enqueue(context.Background(), req); err != nil {
						b.Error(err)
						return
					}
					lat[i] = time.Since(t0)
				}
			})
		}
		wg.Wait()
		b.StopTimer()
		elapsed := time.Since(start)
		slices.Sort(lat)
		report(b, loadgen.Result{Requests: b.N, Elapsed: elapsed, Status: map[int]int{202: b.N},
			P50: lat[b.N/2], P99: lat[min(b.N-1, b.N*99/100)], Max: lat[b.N-1]}, 202)
	})
}

// Pingback end to end: request, synchronous fetch of a local source,
// verification, commit, answer.
//
//	go test ./receiver -run '^$' -bench PingbackEndToEnd -benchtime 5000x
func BenchmarkPingbackEndToEnd(b *testing.B) {
	r := boltRig(b)
	hello := target("posts/hello/")
	src := r.src.set("/source", 200, linking("A source", hello))
	b.ResetTimer()
	res, err := loadgen.Run(context.Background(), loadgen.Config{
		URL: r.http.URL + "/xmlrpc", Requests: b.N, Concurrency: 16,
		Body: func(i int) (string, []byte) {
			return "text/xml", fmt.Appendf(nil, `<?xml version="1.0"?><methodCall><methodName>pingback.ping</methodName><params>`+
				`<param><value><string>%s?p=%d</string></value></param><param><value><string>%s</string></value></param></params></methodCall>`, src, i, hello)
		},
	})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	report(b, res, 200)
	if n := r.src.count("/source"); n != b.N {
		b.Fatalf("%d fetches for %d pingbacks: every one must be verified", n, b.N)
	}
}
