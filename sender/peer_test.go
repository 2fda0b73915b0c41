package sender

import (
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hugo-pingback/hugo-pingback/internal/peertest"
	"github.com/hugo-pingback/hugo-pingback/state"
)

// TestSendToPythonPeer runs send end to end against an independent Pingback
// receiver built on Python's xmlrpc.server. Like WordPress, it fetches our
// live source page (no redirects) and checks the link before it registers.
func TestSendToPythonPeer(t *testing.T) {
	peer := peertest.Start(t, peertest.Script(t, "pingback_server.py"))
	w := newWorld(t)
	hello, world, unknown := peer+"/post/hello", peer+"/post/world", peer+"/post/nope"
	w.page("posts/a/index.html", hello, world)
	w.page("posts/b/index.html", hello, unknown)

	rep := w.run(w.cfg(), Options{})
	a, b := w.B("/posts/a/"), w.B("/posts/b/")
	want := map[[2]string]state.Status{
		{a, hello}: state.StatusNotified,
		{a, world}: state.StatusNotified,
		{b, hello}: state.StatusNotified,
		// The peer serves no page for an unknown post: discovery finds
		// nothing to ping (HTTP 404 is a permanent failure).
		{b, unknown}: state.StatusFailed,
	}
	for k, st := range want {
		if n := w.notification(k[0], k[1]); n.Status != st {
			t.Errorf("%s -> %s: %s (%s), want %s", k[0], k[1], n.Status, n.LastError, st)
		}
	}
	if rep.Notified != 3 {
		t.Errorf("notified %d, want 3", rep.Notified)
	}
	registered := fetch(t, peer+"/registered")
	for _, pair := range []string{a + " " + hello, a + " " + world, b + " " + hello} {
		if !strings.Contains(registered, pair) {
			t.Errorf("peer did not register %q; it has:\n%s", pair, registered)
		}
	}

	// A lost ledger re-sends everything: the peer answers 48, which counts as done.
	os.Remove(w.ledger)
	rep = w.run(w.cfg(), Options{All: true})
	if rep.Notified != 3 || rep.AlreadyRegistered != 3 {
		t.Errorf("re-send: notified %d, already registered %d; want 3, 3", rep.Notified, rep.AlreadyRegistered)
	}
}

func fetch(t *testing.T, url string) string {
	t.Helper()
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
