package linkback

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("ping https://t.example/: %w", err) }
	opErr := func(errno syscall.Errno) error {
		return &url.Error{Op: "Post", URL: "https://t.example/xmlrpc.php", Err: &net.OpError{
			Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: errno}}}
	}
	tests := []struct {
		name string
		err  error
		want Class
	}{
		{"success", nil, ClassDone},
		{"fault 48, already registered", &FaultError{Code: 48}, ClassDone},
		{"fault 409, WordPress duplicate", &FaultError{Code: 409}, ClassDone},
		{"fault 16, source not there yet", &FaultError{Code: 16}, ClassRetry},
		{"fault 50, upstream", &FaultError{Code: 50}, ClassRetry},
		{"fault -32700, parse error", &FaultError{Code: -32700}, ClassRetry},
		{"fault -32300, transport", &FaultError{Code: -32300}, ClassRetry},
		{"fault -32301, transport", &FaultError{Code: -32301}, ClassRetry},
		{"fault 0, WordPress's everything", &FaultError{Code: 0}, ClassRetryFew},
		{"fault 17, no link", &FaultError{Code: 17}, ClassPermanent},
		{"fault 32, no target", &FaultError{Code: 32}, ClassPermanent},
		{"fault 33, closed", &FaultError{Code: 33}, ClassPermanent},
		{"fault 49, denied", &FaultError{Code: 49}, ClassPermanent},
		{"fault -32601, no such method", &FaultError{Code: -32601}, ClassPermanent},
		{"fault 429, WordPress flood", &FaultError{Code: 429}, ClassBackoff},
		{"fault 12345, unknown", &FaultError{Code: 12345}, ClassRetryFew},
		{"wrapped fault", wrap(&FaultError{Code: 17}), ClassPermanent},
		{"trackback refused", &TrackbackError{Message: "Sorry, trackbacks are closed for this item."}, ClassPermanent},
		{"trackback repeat, WordPress's duplicate answer", &TrackbackError{Message: "We already have a ping from that URL for this post."}, ClassDone},
		{"update service says flerror", &UpdateError{Message: "Thanks for the ping, but no."}, ClassPermanent},
		{"HTTP 429", &HTTPError{StatusCode: 429}, ClassBackoff},
		{"HTTP 500", &HTTPError{StatusCode: 500}, ClassRetry},
		{"HTTP 503", wrap(&HTTPError{StatusCode: 503}), ClassRetry},
		{"HTTP 408", &HTTPError{StatusCode: 408}, ClassRetry},
		{"HTTP 400", &HTTPError{StatusCode: 400}, ClassPermanent},
		{"HTTP 404", &HTTPError{StatusCode: 404}, ClassPermanent},
		{"HTTP 410", &HTTPError{StatusCode: 410}, ClassPermanent},
		{"HTTP 304, odd", &HTTPError{StatusCode: 304}, ClassRetryFew},
		{"timeout", &TimeoutError{URL: "u", After: time.Second, Err: context.DeadlineExceeded}, ClassRetry},
		{"bare deadline", wrap(context.DeadlineExceeded), ClassRetry},
		{"run ended", wrap(context.Canceled), ClassRetry},
		{"connection refused", opErr(syscall.ECONNREFUSED), ClassRetry},
		{"connection reset", opErr(syscall.ECONNRESET), ClassRetry},
		{"host unreachable", opErr(syscall.EHOSTUNREACH), ClassRetry},
		{"DNS: no such host", &net.DNSError{Err: "no such host", Name: "gone.example", IsNotFound: true}, ClassRetry},
		{"DNS: server failure", &net.DNSError{Err: "server misbehaving", Name: "x.example", IsTemporary: true}, ClassRetry},
		{"server hung up", wrap(io.ErrUnexpectedEOF), ClassRetry},
		{"private address", &url.Error{Op: "Get", URL: "u", Err: &net.OpError{Op: "dial", Err: &AddressError{Addr: netip.MustParseAddr("10.0.0.1")}}}, ClassPermanent},
		{"not http", wrap(ErrNotHTTP), ClassPermanent},
		{"userinfo", wrap(ErrUserinfo), ClassPermanent},
		{"no endpoint", &NoEndpointError{Target: "t", Protocols: []string{"pingback"}}, ClassPermanent},
		{"source not live", &NotLiveError{URL: "u", StatusCode: 404}, ClassRetry},
		{"too large", wrap(ErrTooLarge), ClassRetryFew},
		{"garbage answer", &ProtocolError{URL: "u", Msg: "html"}, ClassRetryFew},
		{"redirect loop", wrap(ErrTooManyRedirects), ClassRetryFew},
		{"something else", errors.New("x509: certificate signed by unknown authority"), ClassRetryFew},
	}
	for _, tt := range tests {
		if got := Classify(tt.err); got != tt.want {
			t.Errorf("%s: Classify(%v) = %s, want %s", tt.name, tt.err, got, tt.want)
		}
	}
}

func TestClassifyRealConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	_, err = loopbackClient(t).Pingback(context.Background(), "http://"+addr+"/xmlrpc.php", "https://a.example/", "https://b.example/")
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("err = %v, want connection refused", err)
	}
	if Classify(err) != ClassRetry || Explain(err) != "connection refused" {
		t.Errorf("Classify = %s, Explain = %q", Classify(err), Explain(err))
	}
}

func TestExplain(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, "done"},
		{&NoEndpointError{Target: "t", Protocols: []string{"pingback"}}, "target does not accept pingbacks"},
		{&NoEndpointError{Target: "t", Protocols: []string{"webmention", "pingback"}}, "target accepts none of webmention, pingback"},
		{ErrNoEndpoint, "target does not accept pingbacks"},
		{&FaultError{Code: 17, Message: "no link"}, "receiver says the source has no link to the target (fault 17): no link"},
		{&FaultError{Code: 48, Message: "The pingback has already been registered."}, "already registered (fault 48)"},
		{&FaultError{Code: 0}, "receiver refused without giving a reason (fault 0; WordPress answers 0 for every failure)"},
		{&FaultError{Code: 7, Message: "odd"}, "receiver answered fault 7: odd"},
		{&TimeoutError{URL: "u", After: 10 * time.Second}, "timed out after 10s"},
		{&AddressError{Addr: netip.MustParseAddr("10.0.0.1")}, "refused: private address 10.0.0.1"},
		{&AddressError{Addr: netip.MustParseAddr("::ffff:169.254.169.254")}, "refused: private address ::ffff:169.254.169.254"},
		{&HTTPError{URL: "https://t.example/", StatusCode: 404}, "https://t.example/ answered HTTP 404 Not Found"},
		{&HTTPError{URL: "https://t.example/", StatusCode: 429, RetryAfter: 30 * time.Second}, "https://t.example/ answered HTTP 429 Too Many Requests, asks to wait 30s"},
		{&NotLiveError{URL: "https://me.example/p", StatusCode: 301, Location: "https://me.example/p/"}, "https://me.example/p answered HTTP 301 Moved Permanently to https://me.example/p/"},
		{fmt.Errorf("x: %w", ErrNotHTTP), "refused: not an http(s) URL"},
		{fmt.Errorf("x: %w", ErrUserinfo), "refused: URL carries a user or password"},
		{fmt.Errorf("x: %w", ErrTooLarge), "answer too large (over 64 KiB)"},
		{&ProtocolError{URL: "u", Msg: "root element is <html>, want <methodResponse>"}, "garbage answer: root element is <html>, want <methodResponse>"},
		{&net.DNSError{Err: "no such host", Name: "gone.example", IsNotFound: true}, "host not found: gone.example"},
		{context.Canceled, "cancelled: the run ended first"},
		{errors.New("something new"), "something new"},
	}
	for _, tt := range tests {
		if got := Explain(tt.err); got != tt.want {
			t.Errorf("Explain(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestClassString(t *testing.T) {
	for c, want := range map[Class]string{ClassDone: "done", ClassRetry: "retry", ClassRetryFew: "retry-few", ClassBackoff: "backoff", ClassPermanent: "permanent", Class(9): "Class(9)"} {
		if c.String() != want {
			t.Errorf("Class(%d).String() = %q, want %q", int(c), c.String(), want)
		}
	}
}
