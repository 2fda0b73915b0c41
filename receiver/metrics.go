package receiver

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the server's Prometheus series, all prefixed hugo_pingback_receiver_.
type metrics struct {
	requests      *prometheus.CounterVec   // endpoint, code
	latency       *prometheus.HistogramVec // endpoint
	queueDepth    prometheus.Gauge
	fetches       *prometheus.CounterVec // outcome
	fetchSeconds  prometheus.Histogram
	verifications *prometheus.CounterVec   // protocol, outcome
	verifySeconds *prometheus.HistogramVec // protocol
	hooks         *prometheus.CounterVec   // outcome
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	const ns, sub = "hugo_pingback", "receiver"
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "requests_total", Help: "Requests by endpoint and HTTP status answered."}, []string{"endpoint", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub,
			Name: "request_duration_seconds", Help: "Time to answer a request, by endpoint.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"endpoint"}),
		queueDepth: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub,
			Name: "queue_depth", Help: "Webmentions committed and not yet verified for good (waiting retries included)."}),
		fetches: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "source_fetches_total", Help: "Source fetches by outcome; cached counts the requests answered from the last minute's fetch."}, []string{"outcome"}),
		fetchSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub,
			Name: "source_fetch_duration_seconds", Help: "Time to fetch a source.", Buckets: prometheus.DefBuckets}),
		verifications: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "verifications_total", Help: "Verifications by protocol and outcome (the mention's state, refused or retry)."}, []string{"protocol", "outcome"}),
		verifySeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub,
			Name: "verification_duration_seconds", Help: "Time to verify a request, fetch included.", Buckets: prometheus.DefBuckets}, []string{"protocol"}),
		hooks: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "on_approve_posts_total", Help: "POSTs of the on-approve URL by outcome."}, []string{"outcome"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.queueDepth, m.fetches, m.fetchSeconds, m.verifications, m.verifySeconds, m.hooks} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// statusWriter remembers the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// instrument counts and times the requests of one endpoint.
func (s *Server) instrument(endpoint string, h http.Handler) http.Handler {
	lat := s.metrics.latency.WithLabelValues(endpoint)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		lat.Observe(time.Since(start).Seconds())
		s.metrics.requests.WithLabelValues(endpoint, strconv.Itoa(sw.status)).Inc()
	})
}
