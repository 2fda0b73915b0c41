package linkback

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

func TestIsPublicAddr(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"93.184.215.14", true},           // a public IPv4 address
		{"2606:2800:21f:cb07::1", true},   // a public IPv6 address
		{"127.0.0.1", false},              // loopback
		{"127.255.255.254", false},        // all of 127/8
		{"::1", false},                    // IPv6 loopback
		{"0.0.0.0", false},                // unspecified
		{"0.1.2.3", false},                // "this network" 0/8
		{"::", false},                     // IPv6 unspecified
		{"10.0.0.1", false},               // private 10/8
		{"172.16.0.1", false},             // private 172.16/12, low end
		{"172.31.255.255", false},         // private 172.16/12, high end
		{"172.32.0.1", true},              // just past 172.16/12
		{"192.168.1.1", false},            // private 192.168/16
		{"169.254.169.254", false},        // link-local: cloud metadata
		{"100.64.0.1", false},             // CGNAT 100.64/10
		{"100.127.255.255", false},        // CGNAT, high end
		{"100.128.0.1", true},             // just past CGNAT
		{"224.0.0.1", false},              // IPv4 multicast
		{"239.255.255.250", false},        // SSDP multicast
		{"255.255.255.255", false},        // broadcast
		{"240.0.0.1", false},              // reserved
		{"198.18.0.1", false},             // benchmarking
		{"fc00::1", false},                // ULA fc00::/7
		{"fd12:3456::1", false},           // ULA, fd half
		{"fe80::1", false},                // IPv6 link-local
		{"fe80::1%eth0", false},           // link-local with a zone
		{"ff02::1", false},                // IPv6 multicast
		{"::ffff:127.0.0.1", false},       // IPv4-mapped loopback
		{"::ffff:10.0.0.1", false},        // IPv4-mapped private
		{"::ffff:169.254.169.254", false}, // IPv4-mapped metadata
		{"::ffff:93.184.215.14", true},    // IPv4-mapped public
		{"::127.0.0.1", false},            // IPv4-compatible (deprecated)
		{"64:ff9b::10.0.0.1", false},      // NAT64 of a private address
		{"64:ff9b::93.184.215.14", true},  // NAT64 of a public address
		{"2001:db8::1", false},            // documentation
		{"2002:c0a8:101::1", false},       // 6to4 of 192.168.1.1
		{"2002:7f00:1::1", false},         // 6to4 of 127.0.0.1
		{"2002:5db8:d70e::1", true},       // 6to4 of a public address
		{"2001:0:4136:e378::1", false},    // Teredo (an obfuscated IPv4 inside)
		{"::ffff:0:c0a8:101", false},      // IPv4-translated 192.168.1.1
	}
	for _, tt := range tests {
		a := netip.MustParseAddr(tt.addr)
		if got := IsPublicAddr(a); got != tt.want {
			t.Errorf("IsPublicAddr(%s) = %v, want %v", tt.addr, got, tt.want)
		}
	}
	if IsPublicAddr(netip.Addr{}) {
		t.Error("the zero Addr counts as public")
	}
}

func TestGuardControlUnreadableAddress(t *testing.T) {
	g := guard{check: checkPublic}
	if err := g.control("tcp", "not-an-address", nil); !errors.Is(err, ErrPrivateAddress) {
		t.Errorf("control(unreadable) = %v, want a refusal", err)
	}
	if err := g.control("tcp4", "93.184.215.14:443", nil); err != nil {
		t.Errorf("control(public) = %v", err)
	}
}

// countingServer counts the requests that reach it.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("X-Pingback", "http://127.0.0.1/xmlrpc.php")
		w.Header().Set("Content-Type", "text/html")
	})
	return srv, &n
}

func TestGuardRefusesLoopback(t *testing.T) {
	srv, hits := countingServer(t)
	c := NewClient(ClientOptions{}) // guard on
	_, err := c.Discover(context.Background(), srv.URL, []string{ProtoPingback})
	var ae *AddressError
	if !errors.As(err, &ae) || !errors.Is(err, ErrPrivateAddress) {
		t.Fatalf("err = %v, want an AddressError", err)
	}
	if ae.Addr != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("refused address = %s", ae.Addr)
	}
	if got := Classify(err); got != ClassPermanent {
		t.Errorf("Classify = %s, want permanent", got)
	}
	if got := Explain(err); got != "refused: private address 127.0.0.1" {
		t.Errorf("Explain = %q", got)
	}
	if hits.Load() != 0 {
		t.Error("the request reached the server")
	}

	// Pingback and VerifyLive go through the same dialer.
	if _, err := c.Pingback(context.Background(), srv.URL, "https://a.example/", "https://b.example/"); !errors.Is(err, ErrPrivateAddress) {
		t.Errorf("Pingback err = %v, want ErrPrivateAddress", err)
	}
	if _, err := c.VerifyLive(context.Background(), srv.URL, nil); !errors.Is(err, ErrPrivateAddress) {
		t.Errorf("VerifyLive err = %v, want ErrPrivateAddress", err)
	}
	if hits.Load() != 0 {
		t.Error("a request reached the server")
	}

	// AllowPrivate lifts the guard.
	if _, err := loopbackClient(t).Discover(context.Background(), srv.URL, []string{ProtoPingback}); err != nil {
		t.Errorf("with AllowPrivate: %v", err)
	}
}

func TestGuardRefusesLocalhostName(t *testing.T) {
	srv, hits := countingServer(t)
	u, _ := url.Parse(srv.URL)
	// The name resolves to loopback; the check is on the address connected to.
	target := "http://localhost:" + u.Port() + "/"
	_, err := NewClient(ClientOptions{}).Discover(context.Background(), target, []string{ProtoPingback})
	if !errors.Is(err, ErrPrivateAddress) {
		t.Fatalf("err = %v, want ErrPrivateAddress", err)
	}
	if hits.Load() != 0 {
		t.Error("the request reached the server")
	}
}

func TestGuardRefusesIPv6Loopback(t *testing.T) {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	var hits atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "text/html")
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)

	_, err = NewClient(ClientOptions{}).Discover(context.Background(), srv.URL, []string{ProtoPingback})
	var ae *AddressError
	if !errors.As(err, &ae) || ae.Addr != netip.MustParseAddr("::1") {
		t.Fatalf("err = %v, want a refusal of ::1", err)
	}
	if hits.Load() != 0 {
		t.Error("the request reached the server")
	}
	if _, err := loopbackClient(t).Discover(context.Background(), srv.URL, []string{ProtoPingback}); err != nil {
		t.Errorf("with AllowPrivate: %v", err)
	}
}

func TestGuardRefusesIPv4Mapped(t *testing.T) {
	srv, hits := countingServer(t)
	u, _ := url.Parse(srv.URL)
	target := "http://[::ffff:127.0.0.1]:" + u.Port() + "/"
	_, err := NewClient(ClientOptions{}).Discover(context.Background(), target, []string{ProtoPingback})
	var ae *AddressError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want an AddressError", err)
	}
	if !ae.Addr.Unmap().IsLoopback() {
		t.Errorf("refused %s", ae.Addr)
	}
	if hits.Load() != 0 {
		t.Error("the request reached the server")
	}
}

// A public page that redirects to an internal one: the hop is refused at
// connect time even though the first host was allowed.
func TestGuardRefusesRedirectHop(t *testing.T) {
	internal, internalHits := countingServer(t)
	public := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/page" {
			w.Header().Set("X-Pingback", "https://public.example/xmlrpc.php")
			return
		}
		http.Redirect(w, r, internal.URL+"/admin", http.StatusFound)
	})
	pu, _ := url.Parse(public.URL)
	publicAddr := netip.MustParseAddrPort(pu.Host)
	c := guardedClient(t, func(ap netip.AddrPort) bool { return ap == publicAddr })

	_, err := c.Discover(context.Background(), public.URL, []string{ProtoPingback})
	if !errors.Is(err, ErrPrivateAddress) {
		t.Fatalf("err = %v, want ErrPrivateAddress", err)
	}
	if internalHits.Load() != 0 {
		t.Error("the redirect reached the internal server")
	}

	// The same client reaches the "public" server itself.
	ep, err := c.Discover(context.Background(), public.URL+"/page", []string{ProtoPingback})
	if err != nil || ep.Pingback != "https://public.example/xmlrpc.php" {
		t.Errorf("the allowed server: %+v, %v", ep, err)
	}
}

// A discovered endpoint is chosen by the target's owner: Pingback checks it
// like any other URL.
func TestGuardRefusesInternalEndpoint(t *testing.T) {
	internal, internalHits := countingServer(t)
	c := guardedClient(t, nil)
	_, err := c.Pingback(context.Background(), internal.URL+"/xmlrpc.php", "https://a.example/", "https://b.example/")
	if !errors.Is(err, ErrPrivateAddress) {
		t.Fatalf("err = %v, want ErrPrivateAddress", err)
	}
	if internalHits.Load() != 0 {
		t.Error("the call reached the internal server")
	}
}

func TestURLRules(t *testing.T) {
	srv, hits := countingServer(t)
	u, _ := url.Parse(srv.URL)
	tests := []struct {
		url  string
		want error
	}{
		{"ftp://" + u.Host + "/", ErrNotHTTP},           // another scheme
		{"file:///etc/passwd", ErrNotHTTP},              // a local file
		{"javascript:alert(1)", ErrNotHTTP},             // no host at all
		{"gopher://" + u.Host + "/_GET", ErrNotHTTP},    // the classic SSRF scheme
		{"http:///path-only", ErrNotHTTP},               // empty host
		{"//" + u.Host + "/", ErrNotHTTP},               // scheme-relative
		{"http://user:pw@" + u.Host + "/", ErrUserinfo}, // user and password
		{"http://user@" + u.Host + "/", ErrUserinfo},    // user alone
		{"https://a.example/%zz", nil},                  // unparsable: an error, but not a rule
	}
	c := loopbackClient(t)
	for _, tt := range tests {
		_, err := c.Discover(context.Background(), tt.url, []string{ProtoPingback})
		if err == nil {
			t.Errorf("Discover(%q) succeeded", tt.url)
			continue
		}
		if tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("Discover(%q) = %v, want %v", tt.url, err, tt.want)
		}
		if strings.Contains(err.Error(), ":pw@") {
			t.Errorf("error shows the password: %v", err)
		}
		if _, err := c.Call(context.Background(), tt.url, "m"); err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("Call(%q) = %v, want %v", tt.url, err, tt.want)
		}
	}
	if hits.Load() != 0 {
		t.Errorf("%d requests reached the server", hits.Load())
	}
}

// A redirect to another scheme or to a URL with a password is refused at the hop.
func TestRedirectRules(t *testing.T) {
	tests := []struct {
		location string
		want     error
	}{
		{"file:///etc/passwd", ErrNotHTTP},              // to a local file
		{"ftp://127.0.0.1/", ErrNotHTTP},                // to another scheme
		{"http://admin:secret@127.0.0.1/", ErrUserinfo}, // to a URL with a password
	}
	c := loopbackClient(t)
	for _, tt := range tests {
		srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", tt.location)
			w.WriteHeader(http.StatusFound)
		})
		_, err := c.Discover(context.Background(), srv.URL, []string{ProtoPingback})
		if !errors.Is(err, tt.want) {
			t.Errorf("redirect to %s: err = %v, want %v", tt.location, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("error shows the password: %v", err)
		}
	}
}
