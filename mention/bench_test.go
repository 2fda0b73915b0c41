package mention

import (
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkEnqueueParallel measures what a receiver's Webmention handler
// waits for before it may answer 202: Enqueue from many concurrent
// handlers, each durable (fsynced) when it returns. It reports enqueues/s
// and the p50/p99 latency of one Enqueue.
//
//	go test ./mention -run '^$' -bench EnqueueParallel -benchtime 20000x
func BenchmarkEnqueueParallel(b *testing.B) {
	for _, c := range []struct {
		name    string
		clients int           // concurrent callers per GOMAXPROCS
		delay   time.Duration // > 0: through bbolt's DB.Batch with this MaxBatchDelay
		noSync  bool
	}{
		{"clients=64", 32, 0, false},
		{"clients=16", 8, 0, false},
		{"clients=64/bbolt-batch-10ms", 32, 10 * time.Millisecond, false},
		{"clients=64/bbolt-batch-2ms", 32, 2 * time.Millisecond, false},
		{"clients=64/nosync(floor)", 32, 0, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			s, err := Open(filepath.Join(b.TempDir(), "mentions.db"), &Options{NoSync: c.noSync})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if c.delay > 0 {
				s.boltBatch, s.f.DB.MaxBatchDelay = true, c.delay
			}
			var (
				mu   sync.Mutex
				all  []time.Duration
				next atomic.Int64
			)
			b.SetParallelism(c.clients)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				lat := make([]time.Duration, 0, 1024)
				for pb.Next() {
					i := next.Add(1)
					r := &Request{Source: fmt.Sprintf("https://src.example.org/%d", i), Target: "https://blog.example.net/posts/hello/", Protocol: Webmention, ClientIP: "192.0.2.7"}
					t0 := time.Now()
					if err := s.Enqueue(ctx, r); err != nil {
						b.Error(err)
						return
					}
					lat = append(lat, time.Since(t0))
				}
				mu.Lock()
				all = append(all, lat...)
				mu.Unlock()
			})
			elapsed := time.Since(start)
			b.StopTimer()
			slices.Sort(all)
			if len(all) == 0 {
				return
			}
			b.ReportMetric(float64(len(all))/elapsed.Seconds(), "enqueues/s")
			b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

// BenchmarkEnqueueAtRate offers Enqueue calls at a fixed rate, each from a
// goroutine of its own, as requests arrive at a receiver (open loop: a slow
// commit does not slow the arrivals down). It reports the latency a
// Webmention sender sees added by the store at that rate.
//
//	go test ./mention -run '^$' -bench EnqueueAtRate -benchtime 10000x
func BenchmarkEnqueueAtRate(b *testing.B) {
	for _, c := range []struct {
		rate  int
		delay time.Duration // > 0: through bbolt's DB.Batch with this MaxBatchDelay
	}{{2000, 0}, {4000, 0}, {2000, 10 * time.Millisecond}} {
		name := fmt.Sprintf("rate=%d/s", c.rate)
		if c.delay > 0 {
			name += "/bbolt-batch-" + c.delay.String()
		}
		rate := c.rate
		b.Run(name, func(b *testing.B) {
			s, err := Open(filepath.Join(b.TempDir(), "mentions.db"), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if c.delay > 0 {
				s.boltBatch, s.f.DB.MaxBatchDelay = true, c.delay
			}
			lat := make([]time.Duration, b.N)
			var wg sync.WaitGroup
			interval := time.Second / time.Duration(rate)
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
					time.Sleep(d) // pacing the arrivals, not ordering events
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := &Request{Source: fmt.Sprintf("https://src.example.org/%d", i), Target: "https://blog.example.net/posts/hello/", Protocol: Webmention}
					t0 := time.Now()
					if err := s.Enqueue(ctx, r); err != nil {
						b.Error(err)
					}
					lat[i] = time.Since(t0)
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "enqueues/s")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

// BenchmarkExport exports 10,000 approved mentions of 1,000 pages: the
// first run writes every file, a run with nothing changed writes none and
// costs what reading the store and comparing the files costs.
//
//	go test ./mention -run '^$' -bench Export
func BenchmarkExport(b *testing.B) {
	// Filling the store is not what is measured: no fsync for it.
	s, err := Open(filepath.Join(b.TempDir(), "mentions.db"), &Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for i := range 10000 {
		m := &Mention{Source: fmt.Sprintf("https://src%d.example.org/notes/%d", i%300, i),
			Target: fmt.Sprintf("https://blog.example.net/posts/%d/", i%1000), Protocol: Webmention, State: Approved, Type: Reply,
			Author:  Author{Name: "Someone", URL: "https://src.example.org/", Photo: "https://src.example.org/me.jpg"},
			Content: Content{HTML: "<p>A reply of some length, as replies go.</p>", Text: "A reply of some length, as replies go."}}
		if err := s.Settle(ctx, &Request{Source: m.Source, Target: m.Target, State: Accepted}, m); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("first", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			data := b.TempDir()
			b.StartTimer()
			res, err := Export(ctx, s, data)
			if err != nil || len(res.Written) != 1000 {
				b.Fatalf("%+v, %v", res, err)
			}
		}
	})
	b.Run("unchanged", func(b *testing.B) {
		data := b.TempDir()
		if _, err := Export(ctx, s, data); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			res, err := Export(ctx, s, data)
			if err != nil || len(res.Written) != 0 {
				b.Fatalf("%+v, %v", res, err)
			}
		}
	})
}
