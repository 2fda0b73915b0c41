package receiver

import (
	"context"
	"math"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/hugo-pingback/hugo-pingback/mention"
)

// keyedLimiter is one token bucket per key (a client IP, a source host).
// Buckets that have refilled are forgotten, so a flood from many addresses
// costs memory only while it lasts.
type keyedLimiter struct {
	r     rate.Limit
	burst int

	mu        sync.Mutex
	m         map[string]*rate.Limiter
	sweepSize int // sweep when the map grows past this
}

func newKeyedLimiter(r rate.Limit, burst int) *keyedLimiter {
	return &keyedLimiter{r: r, burst: burst, m: map[string]*rate.Limiter{}, sweepSize: 1024}
}

// allow takes a token for key; when there is none it returns false and how
// long until there will be one.
func (k *keyedLimiter) allow(key string, now time.Time) (bool, time.Duration) {
	if k.r == rate.Inf {
		return true, 0
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	l := k.m[key]
	if l == nil {
		if len(k.m) >= k.sweepSize {
			k.sweep(now)
		}
		l = rate.NewLimiter(k.r, k.burst)
		k.m[key] = l
	}
	if l.AllowN(now, 1) {
		return true, 0
	}
	wait := time.Second
	if k.r > 0 {
		wait = time.Duration(math.Ceil(float64(time.Second) * (1 - l.TokensAt(now)) / float64(k.r)))
	}
	return false, wait
}

// sweep forgets the buckets that are full again; if most are still in use,
// the next sweep waits for the map to double.
func (k *keyedLimiter) sweep(now time.Time) {
	for key, l := range k.m {
		if l.TokensAt(now) >= float64(k.burst) {
			delete(k.m, key)
		}
	}
	k.sweepSize = max(1024, 2*len(k.m))
}

// retryAfter writes a Retry-After header of whole seconds, at least 1.
func retryAfter(w http.ResponseWriter, d time.Duration) {
	secs := int(math.Ceil(d.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(max(1, secs)))
}

// clientIP is the address rate limits and the records name: the TCP peer,
// or with trustProxy the last X-Forwarded-For entry, which is the one the
// proxy in front appended (the ones before it are the client's own claims).
func clientIP(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if a, err := netip.ParseAddr(strings.TrimSpace(parts[len(parts)-1])); err == nil {
				return clientKey(a)
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return clientKey(a)
	}
	return host
}

// clientKey is the key of an address: an IPv4 address, or the /64 of an
// IPv6 one, since one IPv6 host holds a /64.
func clientKey(a netip.Addr) string {
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// blockList caches the store's deny list (hosts blocked from the admin API
// or the CLI), so that a flood does not read the store on every request.
type blockList struct {
	store mention.Store
	ttl   time.Duration

	mu      sync.Mutex
	hosts   []string
	fetched time.Time
}

// has reports whether host is blocked: the host itself or a parent domain.
func (b *blockList) has(ctx context.Context, host string, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fetched.IsZero() || now.Sub(b.fetched) > b.ttl {
		if hosts, err := b.store.Blocked(ctx); err == nil {
			for i, h := range hosts {
				hosts[i] = mention.NormaliseHost(h)
			}
			b.hosts, b.fetched = hosts, now
		}
	}
	for _, h := range b.hosts {
		if host == h || strings.HasSuffix(host, "."+h) {
			return true
		}
	}
	return false
}

// invalidate makes the next has read the store again.
func (b *blockList) invalidate() {
	b.mu.Lock()
	b.fetched = time.Time{}
	b.mu.Unlock()
}

// list returns the blocked hosts, sorted.
func (b *blockList) list(ctx context.Context) ([]string, error) {
	hosts, err := b.store.Blocked(ctx)
	if err != nil {
		return nil, err
	}
	hosts = slices.Clone(hosts)
	slices.Sort(hosts)
	return hosts, nil
}
