package mention

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hugo-pingback/hugo-pingback/linkback"
)

// Moderator is what a moderator does with mentions, on the local store or
// on a running receiver through its admin API: a BoltStore and a Remote
// are both one.
type Moderator interface {
	Mentions(ctx context.Context, f Filter) ([]Mention, error)
	Moderate(ctx context.Context, ids []ID, st State, reason string) ([]Mention, error)
	Block(ctx context.Context, host string) error
	Blocked(ctx context.Context) ([]string, error)
}

var _ Moderator = (Store)(nil)

// ErrUnauthorized means the receiver refused the admin token (401).
var ErrUnauthorized = errors.New("the receiver refused the admin token")

// APIError is an error answer of the admin API: its status and the
// {"error": "..."} message.
type APIError struct {
	Method, URL string
	Status      int
	Message     string
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("%s %s: %d: %s", e.Method, e.URL, e.Status, msg)
}

// Unwrap maps the status to the package's sentinels: 401 ErrUnauthorized,
// 404 ErrNotFound, 400 ErrInvalid.
func (e *APIError) Unwrap() error {
	switch e.Status {
	case http.StatusUnauthorized:
		return ErrUnauthorized
	case http.StatusNotFound:
		return ErrNotFound
	case http.StatusBadRequest:
		return ErrInvalid
	}
	return nil
}

// Defaults of a Remote.
const (
	// DefaultRemoteTimeout bounds each admin API request.
	DefaultRemoteTimeout = 30 * time.Second
	// DefaultRemoteMaxBytes caps an admin API answer.
	DefaultRemoteMaxBytes = 64 << 20
	// RemotePageSize is how many mentions Remote.Mentions asks for at once
	// when the Filter has no Limit: it pages with since until an empty page.
	RemotePageSize = 500
)

// Remote is a running receiver's admin API (`hugo-pingback serve
// --admin-token-file`): GET /api/mentions, POST /api/mentions/moderate,
// POST and GET /api/blocks, with the token as a bearer header, never in a
// URL. It is a Moderator and a Lister.
type Remote struct {
	base     *url.URL
	token    string
	client   *linkback.Client
	timeout  time.Duration
	maxBytes int64
}

// NewRemote returns the admin API of the receiver at server (its public
// base URL), authenticating with token. client makes the requests (nil:
// linkback.NewClient's defaults, with the private-address guard: a receiver
// on a private address needs a client with AllowPrivate).
func NewRemote(server, token string, client *linkback.Client) (*Remote, error) {
	u, err := url.Parse(strings.TrimSpace(server))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("server %q: want the receiver's http(s) URL, without user or password", server)
	}
	if strings.TrimSpace(token) == "" {
		return nil, fmt.Errorf("server %s: no admin token (--token-file FILE or HUGO_PINGBACK_TOKEN)", server)
	}
	if client == nil {
		client = linkback.NewClient(linkback.ClientOptions{Timeout: DefaultRemoteTimeout})
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawQuery, u.Fragment = "", ""
	return &Remote{base: u, token: strings.TrimSpace(token), client: client, timeout: DefaultRemoteTimeout, maxBytes: DefaultRemoteMaxBytes}, nil
}

// Server returns the receiver's base URL.
func (r *Remote) Server() string { return r.base.String() }

// Mentions lists the mentions f selects (GET /api/mentions). With no
// f.Limit it pages through all of them, RemotePageSize at a time.
func (r *Remote) Mentions(ctx context.Context, f Filter) ([]Mention, error) {
	if f.Limit > 0 {
		return r.mentionsPage(ctx, f)
	}
	var all []Mention
	for {
		page := f
		page.Limit = RemotePageSize
		ms, err := r.mentionsPage(ctx, page)
		if err != nil {
			return nil, err
		}
		if len(ms) == 0 {
			return all, nil
		}
		last := ms[len(ms)-1].ID
		if last <= f.Since {
			return nil, fmt.Errorf("GET %s/api/mentions: since=%d answered mention %d: the server does not page by since", r.base, f.Since, last)
		}
		all = append(all, ms...)
		f.Since = last
	}
}

func (r *Remote) mentionsPage(ctx context.Context, f Filter) ([]Mention, error) {
	q := url.Values{}
	for _, st := range f.States {
		q.Add("state", string(st))
	}
	if f.Target != "" {
		q.Set("target", f.Target)
	}
	if f.Source != "" {
		q.Set("source", f.Source)
	}
	if f.Since > 0 {
		q.Set("since", strconv.FormatInt(int64(f.Since), 10))
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var ms []Mention
	err := r.do(ctx, http.MethodGet, "/api/mentions", q, nil, &ms)
	return ms, err
}

// Moderate sets the state of the mentions with these IDs (POST
// /api/mentions/moderate) and returns them as they now are. An unknown ID
// is ErrNotFound and a bad state ErrInvalid; the receiver then changed
// nothing.
func (r *Remote) Moderate(ctx context.Context, ids []ID, st State, reason string) ([]Mention, error) {
	body := struct {
		IDs    []ID   `json:"ids"`
		State  State  `json:"state"`
		Reason string `json:"reason,omitempty"`
	}{ids, st, reason}
	var ms []Mention
	err := r.do(ctx, http.MethodPost, "/api/mentions/moderate", nil, body, &ms)
	return ms, err
}

// Block adds host to the receiver's deny list (POST /api/blocks).
func (r *Remote) Block(ctx context.Context, host string) error {
	var out struct {
		Host string `json:"host"`
	}
	return r.do(ctx, http.MethodPost, "/api/blocks", nil, map[string]string{"host": host}, &out)
}

// Blocked lists the receiver's blocked hosts (GET /api/blocks).
func (r *Remote) Blocked(ctx context.Context) ([]string, error) {
	var hosts []string
	err := r.do(ctx, http.MethodGet, "/api/blocks", nil, nil, &hosts)
	return hosts, err
}

// do sends one admin API request: a deadline, the bearer token, a JSON body,
// a capped and closed answer; a non-2xx answer is an *APIError.
func (r *Remote) do(ctx context.Context, method, path string, q url.Values, in, out any) error {
	u := *r.base
	u.Path += path
	u.RawQuery = q.Encode()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+r.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent(r.client))
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	data, status, err := fetch(r.client, req, r.maxBytes)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, u.Redacted(), err)
	}
	if status < 200 || status > 299 {
		e := &APIError{Method: method, URL: u.Redacted(), Status: status}
		var msg struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(data, &msg) == nil {
			e.Message = msg.Error
		}
		return e
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: answer is not the JSON expected: %w", method, u.Redacted(), err)
	}
	return nil
}

// fetch runs req through c's guarded HTTP client (req carries the
// deadline) and reads at most limit bytes of the answer, then closes it.
func fetch(c *linkback.Client, req *http.Request, limit int64) ([]byte, int, error) {
	if c == nil || c.HTTP == nil {
		return nil, 0, errors.New("no HTTP client; use linkback.NewClient")
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, resp.StatusCode, err
	}
	if int64(len(data)) > limit {
		return nil, resp.StatusCode, fmt.Errorf("%w: more than %d bytes", linkback.ErrTooLarge, limit)
	}
	return data, resp.StatusCode, nil
}

func userAgent(c *linkback.Client) string {
	if c != nil && c.UserAgent != "" {
		return c.UserAgent
	}
	return linkback.DefaultUserAgent()
}
