package linkback

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Version is the tool's version, named in the default User-Agent. The
// command sets it at start-up, before the first NewClient.
var Version = "dev"

// ProjectURL is the address named in the default User-Agent, so that a site
// owner who sees our requests in a log can find out what sent them.
const ProjectURL = "https://github.com/hugo-pingback/hugo-pingback"

// Defaults for the zero values of ClientOptions.
const (
	DefaultTimeout      = 10 * time.Second
	DefaultMaxRedirects = 5
)

// Size caps on what is read from a remote answer.
const (
	// MaxPageBytes is how much of a target or source page is read.
	MaxPageBytes = 1 << 20
	// MaxRPCBytes is the largest XML-RPC answer accepted.
	MaxRPCBytes = 64 << 10
	// WordPressReadLimit is how much of a source page WordPress reads when it
	// verifies a pingback (wp_remote_get with limit_response_size 150 KB).
	WordPressReadLimit = 150 << 10
)

// Errors a caller can test with errors.Is. Each is wrapped with the URL it
// concerns.
var (
	ErrPrivateAddress   = errors.New("refusing to connect to a private or loopback address")
	ErrNotHTTP          = errors.New("only http and https URLs are allowed")
	ErrUserinfo         = errors.New("URLs with a user or password are not allowed")
	ErrTooLarge         = errors.New("answer too large")
	ErrNoEndpoint       = errors.New("target advertises no linkback endpoint")
	ErrTooManyRedirects = errors.New("too many redirects")
	ErrNotLive          = errors.New("source page is not live")
)

// ClientOptions configures NewClient. The zero value is valid and safe: a
// 10 s timeout, 5 redirects, the private-address guard on, no logging.
type ClientOptions struct {
	Timeout      time.Duration // per request, 0 = DefaultTimeout
	AllowPrivate bool          // lift the private-address guard
	UserAgent    string        // default "hugo-pingback/VERSION (+ProjectURL)"
	MaxRedirects int           // default DefaultMaxRedirects; negative means none followed
	Logger       *slog.Logger  // nil = quiet
	// Allow, when set, lets the guard pass the addresses it says yes to,
	// however private: one known intranet host, or a loopback server that
	// stands in for a public one in a test. Everything else is still checked.
	Allow func(netip.AddrPort) bool
}

// Client sends every request of the linkback protocols. Its methods are safe
// for concurrent use. Build it with NewClient; a Client with a nil HTTP
// refuses every request rather than fall back to http.DefaultClient. A
// caller may swap HTTP (tests, a custom transport), and then owns the guard.
type Client struct {
	// HTTP does the requests. NewClient's has the private-address guard in
	// its dialer, checks every redirect hop, and never uses a proxy.
	HTTP *http.Client
	// UserAgent is sent with every request.
	UserAgent string
	// Timeout bounds each request, from dial to the last byte read.
	Timeout time.Duration

	log *slog.Logger
}

// NewClient returns a Client with a guarded transport.
//
// The transport ignores HTTP_PROXY and friends on purpose: through a proxy
// the dialer would only ever see the proxy's address, and the guard, which
// checks the address actually connected to, would check nothing.
func NewClient(opts ClientOptions) *Client {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxRedirects == 0 {
		opts.MaxRedirects = DefaultMaxRedirects
	}
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent()
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var g guard
	if !opts.AllowPrivate {
		g.check = checkPublic
		if allow := opts.Allow; allow != nil {
			g.check = func(ap netip.AddrPort) error {
				if allow(ap) {
					return nil
				}
				return checkPublic(ap)
			}
		}
	}
	return &Client{
		HTTP: &http.Client{
			Transport:     newTransport(g, opts.Timeout),
			CheckRedirect: checkRedirect(opts.MaxRedirects),
			// A safety net: every method also puts its own deadline on the context.
			Timeout: opts.Timeout,
		},
		UserAgent: opts.UserAgent,
		Timeout:   opts.Timeout,
		log:       log,
	}
}

// DefaultUserAgent is the User-Agent NewClient uses when none is given.
func DefaultUserAgent() string {
	return "hugo-pingback/" + Version + " (+" + ProjectURL + ")"
}

func newTransport(g guard, timeout time.Duration) *http.Transport {
	d := &net.Dialer{
		Timeout:   timeout,
		KeepAlive: 30 * time.Second,
		Control:   g.control,
	}
	return &http.Transport{
		Proxy:                  nil, // see NewClient
		DialContext:            d.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           64,
		MaxIdleConnsPerHost:    2,
		IdleConnTimeout:        30 * time.Second,
		TLSHandshakeTimeout:    timeout,
		ResponseHeaderTimeout:  timeout,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 256 << 10,
	}
}

// checkRedirect bounds redirects and applies the URL rules to every hop; the
// address rules are applied by the dialer when the hop connects.
func checkRedirect(max int) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if max < 0 {
			return http.ErrUseLastResponse // the 3xx is the answer
		}
		if len(via) > max {
			return fmt.Errorf("stopped after %d redirects: %w", len(via)-1, ErrTooManyRedirects)
		}
		if err := checkURLRules(req.URL); err != nil {
			return fmt.Errorf("redirect to %s: %w", redactURL(req.URL), err)
		}
		return nil
	}
}

// parseRemoteURL parses a URL the tool is about to fetch or post to and
// applies the URL rules: http or https, a host, no user or password.
func parseRemoteURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("parse URL %q: %w", raw, err)
	}
	if err := checkURLRules(u); err != nil {
		return nil, fmt.Errorf("%s: %w", redactURL(u), err)
	}
	return u, nil
}

func checkURLRules(u *url.URL) error {
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
		return ErrNotHTTP
	}
	if u.User != nil {
		return ErrUserinfo
	}
	if u.Hostname() == "" {
		return fmt.Errorf("no host: %w", ErrNotHTTP)
	}
	return nil
}

// redactURL prints u without its password, for messages and logs.
func redactURL(u *url.URL) string { return u.Redacted() }

// HTTPError is a final answer with a status that is not a success.
type HTTPError struct {
	URL        string
	StatusCode int
	// RetryAfter is the delay the server asked for (Retry-After, in seconds
	// or as an HTTP date), 0 when it named none.
	RetryAfter time.Duration
	// Location is the redirect target of a 3xx answer that was not followed.
	Location string
}

func (e *HTTPError) Error() string {
	s := fmt.Sprintf("%s: HTTP %d %s", e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Location != "" {
		s += " to " + e.Location
	}
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return s
}

func newHTTPError(resp *http.Response, now time.Time) *HTTPError {
	e := &HTTPError{
		URL:        redactURL(resp.Request.URL),
		StatusCode: resp.StatusCode,
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), now),
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		if loc, err := resp.Location(); err == nil {
			e.Location = redactURL(loc)
		}
	}
	return e
}

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP date
// (RFC 9110 10.2.3). Unknown or past values give 0.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	const maxWait = 365 * 24 * time.Hour // a year, whatever the server says
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		return time.Duration(min(n, int64(maxWait/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now).Round(time.Second), maxWait)
	}
	return 0
}

// ProtocolError is an answer that is not what the protocol allows: HTML
// where XML-RPC was expected, a methodResponse without a value, and so on.
type ProtocolError struct {
	URL, Msg string
}

func (e *ProtocolError) Error() string {
	if e.URL == "" {
		return "garbage answer: " + e.Msg
	}
	return e.URL + ": garbage answer: " + e.Msg
}

// TimeoutError is a request that did not finish within the client's Timeout.
// It unwraps to the transport's error (context.DeadlineExceeded or a net
// timeout).
type TimeoutError struct {
	URL   string
	After time.Duration
	Err   error
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("%s: timed out after %s", e.URL, e.After)
}

func (e *TimeoutError) Unwrap() error { return e.Err }

// Timeout reports true, so a TimeoutError is a net.Error timeout too.
func (e *TimeoutError) Timeout() bool { return true }

// request runs one request with the client's timeout. The returned cancel
// must be called once the body has been read and closed.
func (c *Client) request(ctx context.Context, hc *http.Client, req *http.Request) (*http.Response, context.CancelFunc, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	req = req.WithContext(ctx)
	ua := c.UserAgent
	if ua == "" {
		ua = DefaultUserAgent()
	}
	req.Header.Set("User-Agent", ua)
	if hc == nil {
		hc = c.HTTP
	}
	if hc == nil {
		cancel()
		return nil, nil, errors.New("linkback: Client without HTTP client; use NewClient")
	}
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		cancel()
		err = wrapTransportError(parent, ctx, req.URL, timeout, err)
		c.logger().Debug("request failed", "method", req.Method, "url", redactURL(req.URL), "err", err)
		return nil, nil, err
	}
	c.logger().Debug("request", "method", req.Method, "url", redactURL(req.URL),
		"final", redactURL(resp.Request.URL), "status", resp.StatusCode, "took", time.Since(start))
	return resp, cancel, nil
}

// wrapTransportError turns the client's own deadline into a TimeoutError
// naming the timeout; other errors, and the end of the caller's context (the
// run's budget), keep their chain (net.OpError, DNSError, ...).
func wrapTransportError(parent, ctx context.Context, u *url.URL, timeout time.Duration, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		// net/http names a redirect hop's URL with its password; we never do.
		if pu, perr := url.Parse(ue.URL); perr == nil {
			ue.URL = pu.Redacted()
		}
	}
	if parent.Err() != nil {
		return err
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout()) {
		return &TimeoutError{URL: redactURL(u), After: timeout, Err: err}
	}
	return err
}

// readCapped reads at most limit bytes of r. truncated reports whether more
// was there.
func readCapped(r io.Reader, limit int64) (b []byte, truncated bool, err error) {
	b, err = io.ReadAll(io.LimitReader(r, limit+1))
	if int64(len(b)) > limit {
		return b[:limit], true, err
	}
	return b, false, err
}

// closeBody closes a body without draining it: draining would wait on a
// server that stalls after the part we wanted (a page whose <head> came and
// whose body never does), and reusing a connection is worth less than that.
func closeBody(body io.ReadCloser) { _ = body.Close() }

func (c *Client) logger() *slog.Logger {
	if c.log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.log
}
