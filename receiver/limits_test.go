package receiver

import (
	"net/http/httptest"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

func TestClientIP(t *testing.T) {
	tests := []struct {
		name  string
		peer  string
		xff   []string
		trust bool
		want  string
	}{
		// The TCP peer, by default.
		{"peer", "203.0.113.7:5555", nil, false, "203.0.113.7"},
		// A forwarded address is ignored unless the proxy is trusted:
		// otherwise every client would pick its own.
		{"untrusted header", "203.0.113.7:5555", []string{"198.51.100.1"}, false, "203.0.113.7"},
		// Trusted: the last entry, the one the proxy appended; the earlier
		// ones are the client's own claims.
		{"trusted", "127.0.0.1:5555", []string{"10.0.0.1, 198.51.100.1"}, true, "198.51.100.1"},
		{"trusted, several headers", "127.0.0.1:5555", []string{"10.0.0.1", "198.51.100.2"}, true, "198.51.100.2"},
		// A header that is not an address falls back to the peer.
		{"trusted, garbage", "127.0.0.1:5555", []string{"unknown"}, true, "127.0.0.1"},
		// IPv6 clients are limited by their /64.
		{"IPv6 peer", "[2001:db8:1:2:3:4:5:6]:443", nil, false, "2001:db8:1:2::/64"},
		// An IPv4-mapped peer is the IPv4 address.
		{"mapped peer", "[::ffff:203.0.113.9]:80", nil, false, "203.0.113.9"},
		// Behind a trusted proxy too: a forwarded IPv6 client is its /64
		// (else one host would have 2^64 buckets), a mapped one IPv4.
		{"trusted IPv6", "127.0.0.1:5555", []string{"2001:db8:1:2::1"}, true, "2001:db8:1:2::/64"},
		{"trusted IPv6, same /64", "127.0.0.1:5555", []string{"2001:db8:1:2:ffff::9"}, true, "2001:db8:1:2::/64"},
		{"trusted mapped", "127.0.0.1:5555", []string{"::ffff:198.51.100.3"}, true, "198.51.100.3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/webmention", nil)
			r.RemoteAddr = tt.peer
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := clientIP(r, tt.trust); got != tt.want {
				t.Fatalf("clientIP = %q, want %q", got, tt.want)
			}
		})
	}
}

// A key's bucket refuses past its burst and says when a token is back;
// buckets that refilled are forgotten once the map grows.
func TestKeyedLimiter(t *testing.T) {
	l := newKeyedLimiter(rate.Limit(2), 3)
	now := time.Unix(1000, 0)
	for i := range 3 {
		if ok, _ := l.allow("a", now); !ok {
			t.Fatalf("request %d within the burst refused", i)
		}
	}
	ok, wait := l.allow("a", now)
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("past the burst: %v, wait %s", ok, wait)
	}
	if ok, _ := l.allow("b", now); !ok {
		t.Fatal("another key shares the bucket")
	}
	if ok, _ := l.allow("a", now.Add(500*time.Millisecond)); !ok {
		t.Fatal("no token after the wait it named")
	}
	l.sweepSize = 2
	later := now.Add(time.Hour)
	l.allow("c", later) // sweeps a and b, full again
	if len(l.m) != 1 {
		t.Fatalf("%d buckets kept after the sweep, want only c", len(l.m))
	}
}
