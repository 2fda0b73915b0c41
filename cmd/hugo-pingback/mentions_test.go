package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hugo-pingback/hugo-pingback/mention"
	"github.com/hugo-pingback/hugo-pingback/mention/mentiontest"
)

// mentionSite is a site dir with a mention store holding a pending reply,
// an approved like, and a pending pingback from a spam host whose author
// name carries a terminal escape sequence.
func mentionSite(t *testing.T) (dir, store string) {
	t.Helper()
	dir = t.TempDir()
	store = filepath.Join(dir, ".hugo-pingback", "mentions.db")
	s, err := mention.Open(store, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fillStore(t, s)
	return dir, store
}

func fillStore(t *testing.T, s mention.Store) {
	t.Helper()
	received := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	for _, m := range []*mention.Mention{
		{Source: "https://ann.example.org/notes/1", Target: "https://blog.example.net/posts/hello-world/", Protocol: mention.Webmention,
			State: mention.Pending, Reason: "held: first mention from ann.example.org", Type: mention.Reply,
			Author: mention.Author{Name: "Ann Author", Photo: "https://ann.example.org/me.jpg"}, Excerpt: "Welcome!",
			Content: mention.Content{Text: "Welcome!", HTML: "<p>Welcome!</p>"}},
		{Source: "https://bob.example.org/likes/9", Target: "https://blog.example.net/posts/hello-world/", Protocol: mention.Webmention,
			State: mention.Approved, Type: mention.Like, Author: mention.Author{Name: "Bob"}},
		{Source: "https://spam.example/copy", Target: "https://blog.example.net/", Protocol: mention.Pingback,
			State: mention.Pending, Type: mention.Mentions, Name: "Cheap \x1b[31mpills", Excerpt: "[...] Notes [...]"},
	} {
		m.Received = received
		if err := s.Settle(context.Background(), &mention.Request{Source: m.Source, Target: m.Target, Protocol: m.Protocol, State: mention.Accepted}, m); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCLIMentionsLocal(t *testing.T) {
	dir, store := mentionSite(t)

	out, stderr, code := cli(t, dir, "mentions", "list")
	if code != 0 {
		t.Fatalf("list: exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(out, "held: first mention from ann.example.org") {
		t.Fatalf("list:\n%s", out)
	}
	// Aligned: every row's SOURCE column starts where the header's does.
	col := strings.Index(lines[0], "SOURCE")
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l[col:], "https://") {
			t.Errorf("row not aligned with the header:\n%s\n%s", lines[0], l)
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Error("list printed a terminal escape sequence from a source")
	}

	out, _, code = cli(t, dir, "mentions", "list", "--json", "--state", "pending")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil || code != 0 {
		t.Fatalf("list --json: exit %d, %v\n%s", code, err, out)
	}
	if len(rows) != 2 {
		t.Fatalf("list --json --state pending: %d rows, want 2", len(rows))
	}
	for _, row := range rows {
		for _, k := range []string{"id", "source", "target", "protocol", "state", "type", "received", "author", "name", "excerpt", "reason"} {
			if _, ok := row[k]; !ok {
				t.Errorf("list --json lacks %q: %v", k, row)
			}
		}
	}
	if _, ok := rows[1]["name"]; !ok || rows[1]["protocol"] != "pingback" {
		t.Errorf("pingback row: %v", rows[1])
	}

	// Moderate: approve, then spam with a reason; block the spam host.
	out, stderr, code = cli(t, dir, "mentions", "approve", "1")
	if code != 0 || !strings.Contains(out, "1 approved") {
		t.Errorf("approve: exit %d\n%s%s", code, out, stderr)
	}
	out, _, code = cli(t, dir, "mentions", "block", "Spam.Example")
	if code != 0 || !strings.Contains(out, "blocked spam.example") {
		t.Errorf("block: exit %d\n%s", code, out)
	}
	if _, _, code = cli(t, dir, "mentions", "spam", "2", "--reason", "bought likes"); code != 0 {
		t.Errorf("spam: exit %d", code)
	}
	out, _, _ = cli(t, dir, "mentions", "list", "--json")
	rows = nil
	json.Unmarshal([]byte(out), &rows)
	want := []struct{ state, reason string }{{"approved", ""}, {"spam", "bought likes"}, {"spam", "blocked host"}}
	for i, w := range want {
		if i >= len(rows) || rows[i]["state"] != w.state || (w.reason != "" && rows[i]["reason"] != w.reason) {
			t.Errorf("after moderation, row %d = %v; want %s %q", i, rows, w.state, w.reason)
		}
	}
	// An unknown ID changes nothing and says which.
	_, stderr, code = cli(t, dir, "mentions", "delete", "1", "42")
	if code != 1 || !strings.Contains(stderr, "42") {
		t.Errorf("delete with an unknown ID: exit %d: %s", code, stderr)
	}

	// Export writes the approved reply; a second export writes nothing.
	out, stderr, code = cli(t, dir, "mentions", "export", "--site", dir)
	if code != 0 || !strings.Contains(out, "1 mentions of 1 pages") || !strings.Contains(out, "wrote   posts/hello-world.json") {
		t.Fatalf("export: exit %d\n%s%s", code, out, stderr)
	}
	out, _, _ = cli(t, dir, "mentions", "export", "--site", dir)
	if !strings.Contains(out, "0 written, 0 removed, 1 unchanged") {
		t.Errorf("second export:\n%s", out)
	}
	var feed mention.JF2Feed
	b, _ := os.ReadFile(filepath.Join(dir, "data", "mentions", "posts", "hello-world.json"))
	if err := json.Unmarshal(b, &feed); err != nil || len(feed.Children) != 1 || feed.Children[0].Author.Name != "Ann Author" {
		t.Errorf("exported file: %v\n%s", err, b)
	}

	// --data names another store; a missing one is said so.
	_, stderr, code = cli(t, dir, "mentions", "list", "--data", filepath.Join(dir, "nope.db"))
	if code != 1 || !strings.Contains(stderr, "no mention store at") {
		t.Errorf("missing store: exit %d: %s", code, stderr)
	}
	if _, _, code := cli(t, t.TempDir(), "mentions", "list", "--data", store); code != 0 {
		t.Errorf("list --data from another dir: exit %d", code)
	}
}

// TestCLIMentionsStoreHeldByServe: a store another process holds (a
// running serve) fails at once and says to use --server.
func TestCLIMentionsStoreHeldByServe(t *testing.T) {
	dir, store := mentionSite(t)
	s, err := mention.Open(store, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, args := range [][]string{{"mentions", "list"}, {"mentions", "approve", "1"}, {"mentions", "export"}} {
		start := time.Now()
		_, stderr, code := cli(t, dir, args...)
		if code != 1 || !strings.Contains(stderr, "in use") || !strings.Contains(stderr, "--server") {
			t.Errorf("%v on a held store: exit %d: %s", args, code, stderr)
		}
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("%v took %s", args, d)
		}
	}
}

func TestCLIMentionsUsage(t *testing.T) {
	dir, _ := mentionSite(t)
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"mentions"}, "no command"},                     // no subcommand
		{[]string{"mentions", "lsit"}, `unknown command "lsit"`}, // a typo
		{[]string{"mentions", "approve"}, "want ID..."},          // no IDs
		{[]string{"mentions", "approve", "x1"}, `"x1" is not a mention ID`},
		{[]string{"mentions", "list", "--state", "published"}, "published"},
		{[]string{"mentions", "list", "--bogus"}, "unknown flag --bogus"},
		{[]string{"mentions", "block", "a.example", "b.example"}, "too many arguments"},
		{[]string{"mentions", "pull"}, "--webmention-io"},
		{[]string{"mentions", "list", "--server", "https://mentions.example.net"}, "HUGO_PINGBACK_TOKEN"},
	} {
		cmd := exec.Command(os.Args[0], c.args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "HP_BE_MAIN=1", "HUGO_PINGBACK_TOKEN=")
		out, _ := cmd.CombinedOutput()
		if code := cmd.ProcessState.ExitCode(); code != 2 || !strings.Contains(string(out), c.says) {
			t.Errorf("%v: exit %d, want 2 saying %q:\n%s", c.args, code, c.says, out)
		}
	}
	out, _, code := cli(t, dir, "mentions", "--help")
	if code != 0 || !strings.Contains(out, "pull --server URL") {
		t.Errorf("mentions --help: exit %d\n%s", code, out)
	}
	out, _, code = cli(t, dir, "mentions", "export", "--help")
	if code != 0 || !strings.Contains(out, "--data-dir") || !strings.Contains(out, "Examples:") {
		t.Errorf("mentions export --help: exit %d\n%s", code, out)
	}
}

// TestCLIMentionsRemote moderates and pulls through a receiver's admin API,
// with the token from a file and from the environment.
func TestCLIMentionsRemote(t *testing.T) {
	s, err := mention.Open(filepath.Join(t.TempDir(), "mentions.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fillStore(t, s)
	api := &mentiontest.AdminAPI{Store: s, Token: "tok-123"}
	srv := httptest.NewServer(api)
	defer srv.Close()
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	os.WriteFile(tokenFile, []byte("tok-123\n"), 0o600)
	remote := []string{"--server", srv.URL, "--token-file", tokenFile, "--allow-private"}

	out, stderr, code := cli(t, dir, append([]string{"mentions", "list", "--state", "pending"}, remote...)...)
	if code != 0 || !strings.Contains(out, "ann.example.org") || strings.Contains(out, "bob.example.org") {
		t.Fatalf("remote list: exit %d\n%s%s", code, out, stderr)
	}
	if _, stderr, code = cli(t, dir, append([]string{"mentions", "approve", "1", "3"}, remote...)...); code != 0 {
		t.Fatalf("remote approve: %s", stderr)
	}
	if m, _ := s.Mention(context.Background(), 3); m.State != mention.Approved {
		t.Errorf("mention 3 is %s after a remote approve", m.State)
	}
	for _, r := range api.Requests() {
		if strings.Contains(r.URL.String(), "tok-123") {
			t.Errorf("the token was in a URL: %s", r.URL)
		}
	}

	// The token from the environment; pull writes the data files.
	cmd := exec.Command(os.Args[0], "mentions", "pull", "--site", dir, "--server", srv.URL, "--allow-private")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HP_BE_MAIN=1", "HUGO_PINGBACK_TOKEN=tok-123")
	b, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(b), "3 mentions of 2 pages") {
		t.Fatalf("pull --server: %v\n%s", err, b)
	}
	for _, f := range []string{"_index.json", "posts/hello-world.json"} {
		if _, err := os.Stat(filepath.Join(dir, "data", "mentions", filepath.FromSlash(f))); err != nil {
			t.Error(err)
		}
	}

	// A wrong token: exit 1, the server's message.
	os.WriteFile(tokenFile, []byte("wrong"), 0o600)
	_, stderr, code = cli(t, dir, append([]string{"mentions", "list"}, remote...)...)
	if code != 1 || !strings.Contains(stderr, "401") {
		t.Errorf("wrong token: exit %d: %s", code, stderr)
	}
	// Without --allow-private the guard refuses a loopback receiver.
	_, stderr, code = cli(t, dir, "mentions", "list", "--server", srv.URL, "--token-file", tokenFile)
	if code != 1 || !strings.Contains(stderr, "private") {
		t.Errorf("loopback receiver without --allow-private: exit %d: %s", code, stderr)
	}
}

// TestCLIMentionsShowInExampleSite exports a store into a copy of
// example-site and builds it: the partial shows the mentions, and what a
// hostile source said is escaped (no markup, no javascript: link).
func TestCLIMentionsShowInExampleSite(t *testing.T) {
	dir := copyExampleSite(t)
	// The sample data file is ours (the state file says so): export replaces it.
	store := filepath.Join(dir, ".hugo-pingback", "mentions.db")
	s, err := mention.Open(store, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []*mention.Mention{
		{Source: "https://evil.example/x", Target: "https://blog.example.net/posts/hello-world/", Protocol: mention.Webmention,
			State: mention.Approved, Type: mention.Reply, URL: "javascript:alert(1)",
			Author:  mention.Author{Name: `<script>alert("name")</script>`, URL: "javascript:alert(2)", Photo: `x" onerror="alert(3)`},
			Content: mention.Content{Text: `<img src=x onerror=alert(4)>`, HTML: `<img src=x onerror=alert(4)>`}},
		{Source: "https://fan.example.org/likes/1", Target: "https://blog.example.net/posts/second-post/", Protocol: mention.Webmention,
			State: mention.Approved, Type: mention.Like, Author: mention.Author{Name: "Fan", Photo: "https://fan.example.org/me.png"}},
	} {
		if err := s.Settle(context.Background(), &mention.Request{Source: m.Source, Target: m.Target, State: mention.Accepted}, m); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	exportAndBuild(t, dir)
	hello, err := os.ReadFile(filepath.Join(dir, "public", "posts", "hello-world", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	section := string(hello)
	if i := strings.Index(section, `<section class="mentions"`); i >= 0 {
		section = section[i:]
	} else {
		t.Fatalf("no mentions section in hello-world:\n%s", hello)
	}
	section = section[:strings.Index(section, "</section>")]
	for _, bad := range []string{"<script", "<img src=x", "javascript:", `onerror="alert(3)`, "Ann Example"} {
		if strings.Contains(section, bad) {
			t.Errorf("the mentions section contains %q:\n%s", bad, section)
		}
	}
	for _, good := range []string{"&lt;script&gt;", "&lt;img src=x onerror=alert(4)&gt;", "#ZgotmplZ"} {
		if !strings.Contains(section, good) {
			t.Errorf("the mentions section lacks %q:\n%s", good, section)
		}
	}
	second, _ := os.ReadFile(filepath.Join(dir, "public", "posts", "second-post", "index.html"))
	if !strings.Contains(string(second), `<ul class="facepile">`) || !strings.Contains(string(second), `alt="Fan"`) {
		t.Errorf("second-post has no facepile for the like")
	}
	// Links strangers wrote are nofollow ugc; an avatar is fetched without
	// a Referer, and only over https.
	for _, want := range []string{`rel="nofollow ugc noopener"`, `referrerpolicy="no-referrer"`} {
		if !strings.Contains(string(second), want) {
			t.Errorf("second-post's mentions lack %s", want)
		}
	}
	about, _ := os.ReadFile(filepath.Join(dir, "public", "about", "index.html"))
	if strings.Contains(string(about), `class="mentions"`) {
		t.Error("a page without mentions has a mentions section")
	}
}

// TestCLIMentionsShowOnNonASCIIPage: a page whose address is not ASCII
// (Hugo writes /posts/caf%C3%A9-cr%C3%A8me/ as its RelPermalink) shows its
// mentions. Export names the data file by the decoded path
// (posts/café-crème.json); the partial looked it up by the escaped one and
// showed nothing. Found with a real WordPress (internal/wpinterop), which
// pinged one page by its escaped address and another by its raw one: the
// mentions below are what the receiver made of those pingbacks.
func TestCLIMentionsShowOnNonASCIIPage(t *testing.T) {
	dir := copyExampleSite(t)
	for name, title := range map[string]string{"café-crème.md": "Café crème", "naïve.md": "Naïve"} {
		page := "---\ntitle: \"" + title + "\"\ndate: 2026-11-30T10:00:00Z\n---\n\nA page whose address is not ASCII.\n"
		if err := os.WriteFile(filepath.Join(dir, "content", "posts", name), []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	store := filepath.Join(dir, ".hugo-pingback", "mentions.db")
	s, err := mention.Open(store, nil)
	if err != nil {
		t.Fatal(err)
	}
	const source = "https://wp.example.org/2026/12/01/unicode-links/"
	for _, tgt := range []string{
		"https://blog.example.net/posts/caf%C3%A9-cr%C3%A8me/", // as WordPress sent it: the href as written
		"https://blog.example.net/posts/naïve/",                // a raw href: WordPress sends it raw
	} {
		m := &mention.Mention{Source: source, Target: tgt, Protocol: mention.Pingback, State: mention.Approved,
			Type: mention.Mentions, URL: source, Name: "Unicode links",
			Content:  mention.Content{Text: "Percent-encoded: café crème is a fine drink. Raw: naïve is a fine word."},
			Received: time.Date(2026, 12, 1, 11, 20, 30, 0, time.UTC)}
		if err := s.Settle(context.Background(), &mention.Request{Source: source, Target: tgt, Protocol: mention.Pingback, State: mention.Accepted}, m); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	exportAndBuild(t, dir)
	for _, page := range []string{"café-crème", "naïve"} {
		html, err := os.ReadFile(filepath.Join(dir, "public", "posts", page, "index.html"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(html), `<section class="mentions"`) || !strings.Contains(string(html), "is a fine drink") {
			t.Errorf("posts/%s/ does not show its mention", page)
		}
	}
}

// TestCLIMentionsPullWebmentionIO pulls from a local stand-in for
// webmention.io (its URL from the test-only environment variable), with the
// token from WEBMENTION_IO_TOKEN.
func TestCLIMentionsPullWebmentionIO(t *testing.T) {
	page, err := os.ReadFile(filepath.Join("..", "..", "mention", "testdata", "webmentionio", "page0.json"))
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu     sync.Mutex
		tokens []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		tokens = append(tokens, r.URL.Query().Get("token"))
		mu.Unlock()
		if r.URL.Query().Get("page") != "0" || r.URL.Query().Get("since_id") != "" {
			w.Write([]byte(`{"type":"feed","name":"Webmentions","children":[]}`))
			return
		}
		w.Write(page)
	}))
	defer srv.Close()
	dir := t.TempDir()
	pull := func(token string) (string, int) {
		cmd := exec.Command(os.Args[0], "mentions", "pull", "--webmention-io", "--site", dir, "--allow-private")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "HP_BE_MAIN=1", "WEBMENTION_IO_TOKEN="+token, webmentionIOEndpointEnv+"="+srv.URL+"/api/mentions.jf2")
		out, _ := cmd.CombinedOutput()
		return string(out), cmd.ProcessState.ExitCode()
	}
	out, code := pull("wm-secret")
	if code != 0 || !strings.Contains(out, "2 mentions of 1 pages") || !strings.Contains(out, "wrote   posts/hello-world.json") {
		t.Fatalf("pull --webmention-io: exit %d\n%s", code, out)
	}
	mu.Lock()
	if len(tokens) == 0 || tokens[0] != "wm-secret" {
		t.Errorf("tokens sent: %v", tokens)
	}
	mu.Unlock()
	out, code = pull("wm-secret")
	if code != 0 || !strings.Contains(out, "0 written") {
		t.Errorf("second pull: exit %d\n%s", code, out)
	}
	if out, code = pull(""); code != 1 || !strings.Contains(out, "WEBMENTION_IO_TOKEN") {
		t.Errorf("pull without a token: exit %d\n%s", code, out)
	}
}

// exportAndBuild runs mentions export, then build, on the site in dir.
func exportAndBuild(t *testing.T, dir string) {
	t.Helper()
	if out, stderr, code := cli(t, dir, "mentions", "export", "--site", dir); code != 0 {
		t.Fatalf("export: exit %d\n%s%s", code, out, stderr)
	}
	if _, stderr, code := cli(t, dir, "build", "--site", dir); code != 0 {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
}
