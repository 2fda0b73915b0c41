package mention_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hugo-pingback/hugo-pingback/linkback"
	"github.com/hugo-pingback/hugo-pingback/mention"
	"github.com/hugo-pingback/hugo-pingback/mention/mentiontest"
)

var ctx = context.Background()

func loopbackClient() *linkback.Client {
	return linkback.NewClient(linkback.ClientOptions{AllowPrivate: true})
}

// settle stores an approved or pending reply of target by source.
func settle(t *testing.T, s mention.Store, source, target string, st mention.State) {
	t.Helper()
	m := &mention.Mention{Source: source, Target: target, Protocol: mention.Webmention, State: st, Type: mention.Reply,
		Author: mention.Author{Name: "Ann Author"}, Received: time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)}
	if err := s.Settle(ctx, &mention.Request{Source: source, Target: target, State: mention.Accepted}, m); err != nil {
		t.Fatal(err)
	}
}

func newAdmin(t *testing.T) (*mentiontest.AdminAPI, *mention.BoltStore, *mention.Remote) {
	t.Helper()
	s, err := mention.Open(filepath.Join(t.TempDir(), "mentions.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	api := &mentiontest.AdminAPI{Store: s, Token: "s3cret-token"}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	r, err := mention.NewRemote(srv.URL+"/", "s3cret-token\n", loopbackClient())
	if err != nil {
		t.Fatal(err)
	}
	return api, s, r
}

func TestRemote(t *testing.T) {
	api, s, r := newAdmin(t)
	settle(t, s, "https://a.example.org/1", "https://blog.example.net/p/", mention.Pending)
	settle(t, s, "https://spam.example/1", "https://blog.example.net/p/", mention.Pending)
	settle(t, s, "https://c.example.org/1", "https://blog.example.net/q/", mention.Approved)

	// List with filters: they reach the server as the contract says.
	ms, err := r.Mentions(ctx, mention.Filter{States: []mention.State{mention.Pending, mention.Spam}, Target: "https://blog.example.net/p/", Limit: 10})
	if err != nil || len(ms) != 2 || ms[0].ID != 1 || ms[0].Author.Name != "Ann Author" {
		t.Fatalf("Mentions = %+v, %v", ms, err)
	}
	reqs := api.Requests()
	last := reqs[len(reqs)-1]
	if q := last.URL.Query(); !reflect.DeepEqual(q["state"], []string{"pending", "spam"}) || q.Get("target") != "https://blog.example.net/p/" || q.Get("limit") != "10" {
		t.Errorf("query sent: %s", last.URL.RawQuery)
	}
	if strings.Contains(last.URL.String(), "s3cret") || last.Header.Get("Authorization") != "Bearer s3cret-token" {
		t.Errorf("token: in URL %s, header %q; want only the header", last.URL, last.Header.Get("Authorization"))
	}

	// Moderate: the mentions come back as they now are.
	got, err := r.Moderate(ctx, []mention.ID{1}, mention.Approved, "looks fine")
	if err != nil || len(got) != 1 || got[0].State != mention.Approved || got[0].Reason != "looks fine" {
		t.Fatalf("Moderate = %+v, %v", got, err)
	}
	if m, _ := s.Mention(ctx, 1); m.State != mention.Approved {
		t.Errorf("store says %s after a remote approval", m.State)
	}
	// An unknown ID: 404, ErrNotFound, nothing changed.
	_, err = r.Moderate(ctx, []mention.ID{2, 99}, mention.Spam, "")
	var apiErr *mention.APIError
	if !errors.Is(err, mention.ErrNotFound) || !errors.As(err, &apiErr) || apiErr.Status != 404 || !strings.Contains(err.Error(), "99") {
		t.Errorf("Moderate with an unknown ID = %v, want a 404 naming it", err)
	}
	if m, _ := s.Mention(ctx, 2); m.State != mention.Pending {
		t.Errorf("mention 2 is %s after a refused Moderate", m.State)
	}
	// A bad state: 400, ErrInvalid.
	if _, err := r.Moderate(ctx, []mention.ID{2}, "published", ""); !errors.Is(err, mention.ErrInvalid) {
		t.Errorf("Moderate to a bad state = %v, want ErrInvalid", err)
	}

	// Blocks.
	if err := r.Block(ctx, "Spam.Example"); err != nil {
		t.Fatal(err)
	}
	hosts, err := r.Blocked(ctx)
	if err != nil || !reflect.DeepEqual(hosts, []string{"spam.example"}) {
		t.Errorf("Blocked = %v, %v", hosts, err)
	}
	if m, _ := s.Mention(ctx, 2); m.State != mention.Spam || m.Reason != mention.BlockedReason {
		t.Errorf("mention from the blocked host: %s %q", m.State, m.Reason)
	}
}

func TestRemoteAuthAndErrors(t *testing.T) {
	_, _, good := newAdmin(t)
	bad, err := mention.NewRemote(good.Server(), "wrong", loopbackClient())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.Mentions(ctx, mention.Filter{}); !errors.Is(err, mention.ErrUnauthorized) || !strings.Contains(err.Error(), "missing or wrong admin token") {
		t.Errorf("wrong token: %v, want ErrUnauthorized with the server's message", err)
	}
	// The private-address guard is on by default: a receiver on loopback
	// needs a client that allows it.
	guarded, err := mention.NewRemote(good.Server(), "s3cret-token", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := guarded.Blocked(ctx); !errors.Is(err, linkback.ErrPrivateAddress) {
		t.Errorf("loopback receiver with the default client: %v, want ErrPrivateAddress", err)
	}
	for _, tc := range []struct{ server, token, says string }{
		{"ftp://x.example/", "t", "ftp://x.example/"},         // not http(s)
		{"https://u:p@x.example/", "t", "without user"},       // userinfo
		{"https://x.example/", " ", "no admin token"},         // no token
		{"x.example", "t", "want the receiver's http(s) URL"}, // no scheme
	} {
		if _, err := mention.NewRemote(tc.server, tc.token, nil); err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("NewRemote(%q, %q) = %v, want an error saying %q", tc.server, tc.token, err, tc.says)
		}
	}
	// An answer that is not JSON names the URL.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>proxy login</html>")) }))
	defer srv.Close()
	r, _ := mention.NewRemote(srv.URL, "t", loopbackClient())
	if _, err := r.Blocked(ctx); err == nil || !strings.Contains(err.Error(), srv.URL+"/api/blocks") {
		t.Errorf("HTML answer: %v", err)
	}
}

// TestPullServer is `mentions pull --server`: Export from a Remote whose
// server caps the page size, so Remote pages by since.
func TestPullServer(t *testing.T) {
	api, s, r := newAdmin(t)
	api.MaxLimit = 2
	for _, src := range []string{"https://a.example.org/1", "https://b.example.org/1", "https://c.example.org/1", "https://d.example.org/1", "https://e.example.org/1"} {
		settle(t, s, src, "https://blog.example.net/posts/hello-world/", mention.Approved)
	}
	settle(t, s, "https://f.example.org/1", "https://blog.example.net/posts/hello-world/", mention.Pending)
	data := t.TempDir()
	res, err := mention.Export(ctx, r, data)
	if err != nil || res.Mentions != 5 || !reflect.DeepEqual(res.Written, []string{"posts/hello-world.json"}) {
		t.Fatalf("pull --server: %+v, %v", res, err)
	}
	// The approved: 2 + 2 + 1, then an empty page; the withheld (the
	// pending one, whose webmention.io copy must not show either): 1, then
	// an empty page.
	if n := len(api.Requests()); n != 6 {
		t.Errorf("%d requests, want 6 (pages of 2 by since, each listing ending with an empty one)", n)
	}
	// The same bytes as an Export from the store itself.
	local := t.TempDir()
	if _, err := mention.Export(ctx, s, local); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(data, "mentions", "posts", "hello-world.json"))
	b, _ := os.ReadFile(filepath.Join(local, "mentions", "posts", "hello-world.json"))
	if string(a) != string(b) {
		t.Errorf("pull --server and export differ:\n%s\n%s", a, b)
	}
}
