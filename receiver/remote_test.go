package receiver

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hugo-pingback/hugo-pingback/linkback"
	"github.com/hugo-pingback/hugo-pingback/mention"
)

// The mention package's admin API client (what `mentions --server` uses)
// against this server, not against a stand-in: the contract holds both ways.
func TestRemoteClientAgainstReceiver(t *testing.T) {
	r := newRig(t, withAdmin)
	hello := target("posts/hello/")
	r.seed(
		mention.Mention{Source: "https://a.example/1", Target: hello, Protocol: mention.Webmention, State: mention.Pending},
		mention.Mention{Source: "https://b.example/2", Target: hello, Protocol: mention.Pingback, State: mention.Approved},
	)
	ctx := context.Background()
	c := linkback.NewClient(linkback.ClientOptions{AllowPrivate: true, Timeout: 5 * time.Second})
	remote, err := mention.NewRemote(r.http.URL, adminToken, c)
	if err != nil {
		t.Fatal(err)
	}
	pending, err := remote.Mentions(ctx, mention.Filter{States: []mention.State{mention.Pending}})
	if err != nil || len(pending) != 1 || pending[0].Source != "https://a.example/1" {
		t.Fatalf("pending: %+v, %v", pending, err)
	}
	all, err := remote.Mentions(ctx, mention.Filter{}) // pages with since
	if err != nil || len(all) != 2 {
		t.Fatalf("all: %d, %v", len(all), err)
	}
	ms, err := remote.Moderate(ctx, []mention.ID{pending[0].ID}, mention.Spam, "junk")
	if err != nil || len(ms) != 1 || ms[0].State != mention.Spam || ms[0].Reason != "junk" {
		t.Fatalf("moderate: %+v, %v", ms, err)
	}
	if _, err := remote.Moderate(ctx, []mention.ID{99}, mention.Approved, ""); !errors.Is(err, mention.ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
	if _, err := remote.Moderate(ctx, []mention.ID{1}, "hidden", ""); !errors.Is(err, mention.ErrInvalid) {
		t.Fatalf("bad state: %v", err)
	}
	if err := remote.Block(ctx, "spam.example"); err != nil {
		t.Fatal(err)
	}
	if hosts, err := remote.Blocked(ctx); err != nil || len(hosts) != 1 || hosts[0] != "spam.example" {
		t.Fatalf("blocked: %v, %v", hosts, err)
	}
	wrong, _ := mention.NewRemote(r.http.URL, "not-the-token", c)
	if _, err := wrong.Blocked(ctx); !errors.Is(err, mention.ErrUnauthorized) {
		t.Fatalf("wrong token: %v", err)
	}
}
