package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hugo-pingback/hugo-pingback/mention"
)

// serving is a `hugo-pingback serve` process: the test binary re-executed
// as the real program.
type serving struct {
	cmd    *exec.Cmd
	url    string
	stderr *lockedBuffer
	done   chan error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServe runs serve with args in dir and waits until it listens.
func startServe(t *testing.T, dir string, args ...string) *serving {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HP_BE_MAIN=1")
	s := &serving{cmd: cmd, stderr: &lockedBuffer{}, done: make(chan error, 1)}
	cmd.Stderr = s.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("serve stderr:\n%s", s.stderr.String())
		}
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	const prefix = "hugo-pingback serve: listening on "
	if err != nil || !strings.HasPrefix(line, prefix) {
		t.Fatalf("serve did not start: %q, %v\n%s", line, err, s.stderr.String())
	}
	s.url, _, _ = strings.Cut(strings.TrimPrefix(line, prefix), " ")
	go io.Copy(io.Discard, out)
	return s
}

// stop sends SIGTERM and returns the exit error.
func (s *serving) stop(t *testing.T) error {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		s.done <- err // for the cleanup
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30 s of SIGTERM")
	}
	return nil
}

// writeFile writes a file and its directories.
func writeFile(t *testing.T, path, body string, perm os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), perm); err != nil {
		t.Fatal(err)
	}
}

// adminGet reads the admin API of a running serve.
func adminGet(t *testing.T, base, token, path string, into any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		t.Fatal(err)
	}
}

const testToken = "0123456789abcdef0123456789abcdef"

// The project's own `send` notifies pages served with `serve` as their
// receiver, in all three protocols: each target page advertises one, and
// every mention arrives in the store.
func TestServeEndToEndWithSend(t *testing.T) {
	dir := t.TempDir()
	rsite, ssite := filepath.Join(dir, "receiving"), filepath.Join(dir, "sending")
	// The receiving blog, served from its files on loopback.
	blog := httptest.NewServer(http.FileServer(http.Dir(filepath.Join(rsite, "public"))))
	defer blog.Close()
	targets := map[string]string{"webmention": blog.URL + "/wm/", "pingback": blog.URL + "/pb/", "trackback": blog.URL + "/tb/"}
	for _, p := range []string{"wm", "pb", "tb"} {
		writeFile(t, filepath.Join(rsite, "public", p, "index.html"), "<html><body>placeholder</body></html>", 0o644)
	}
	writeFile(t, filepath.Join(dir, "token"), testToken+"\n", 0o600)
	srv := startServe(t, rsite, "--base-url", blog.URL+"/", "--public-url", "https://rx.example.net",
		"--allow-private", "--admin-token-file", filepath.Join(dir, "token"), "--moderate", "none")

	// Each target page advertises the receiver in exactly one protocol.
	page := func(title, head, body string) string {
		return `<!doctype html><html><head><title>` + title + `</title>` + head + `</head><body><article><p>` + title +
			` is a page of the receiving blog with enough words of its own.</p>` + body + `</article></body></html>`
	}
	writeFile(t, filepath.Join(rsite, "public", "wm", "index.html"), page("WM", `<link rel="webmention" href="`+srv.url+`/webmention">`, ""), 0o644)
	writeFile(t, filepath.Join(rsite, "public", "pb", "index.html"), page("PB", `<link rel="pingback" href="`+srv.url+`/xmlrpc">`, ""), 0o644)
	writeFile(t, filepath.Join(rsite, "public", "tb", "index.html"), page("TB", "", `<!--
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:trackback="http://madskills.com/public/xml/rss/module/trackback/">
<rdf:Description rdf:about="`+targets["trackback"]+`" dc:identifier="`+targets["trackback"]+`" dc:title="TB" trackback:ping="`+srv.url+`/trackback/tb/" />
</rdf:RDF>
-->`), 0o644)

	// The sending blog: one post linking to the three.
	sblog := httptest.NewServer(http.FileServer(http.Dir(filepath.Join(ssite, "public"))))
	defer sblog.Close()
	writeFile(t, filepath.Join(ssite, "public", "posts", "one", "index.html"), `<!doctype html><html><head><title>Links galore</title></head><body><article class="h-entry">
<h1 class="p-name">Links galore</h1><div class="e-content"><p>I read <a href="`+targets["webmention"]+`">a Webmention page</a>,
<a href="`+targets["pingback"]+`">a pingback page</a> and <a href="`+targets["trackback"]+`">a trackback page</a>.</p></div></article></body></html>`, 0o644)
	out, stderr, code := cli(t, ssite, "send", "--public", filepath.Join(ssite, "public"), "--base-url", sblog.URL+"/",
		"--allow-private", "--protocols", "webmention,pingback,trackback", "--host-interval", "0", "--json")
	if code != 0 {
		t.Fatalf("send: exit %d\n%s\n%s", code, out, stderr)
	}

	// Pingback and Trackback are registered when send returns; the
	// Webmention once a worker verified it.
	var ms []mention.Mention
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		adminGet(t, srv.url, testToken, "/api/mentions", &ms)
		if len(ms) == 3 {
			break
		}
		<-time.After(50 * time.Millisecond)
	}
	if len(ms) != 3 {
		t.Fatalf("%d mentions in the store, want 3: %+v\nsend said: %s", len(ms), ms, out)
	}
	source := sblog.URL + "/posts/one/"
	for _, m := range ms {
		if m.Source != source || m.Target != targets[string(m.Protocol)] || m.State != mention.Approved || m.Name != "Links galore" {
			t.Errorf("mention %+v", m)
		}
	}
	// A second send changes nothing: the ledger knows all three.
	if _, stderr, code := cli(t, ssite, "send", "--public", filepath.Join(ssite, "public"), "--base-url", sblog.URL+"/", "--allow-private", "--protocols", "webmention,pingback,trackback"); code != 0 {
		t.Fatalf("second send: %d %s", code, stderr)
	}
	if err := srv.stop(t); err != nil {
		t.Fatalf("serve after SIGTERM: %v\n%s", err, srv.stderr.String())
	}
	// The store is closed cleanly and readable by another process.
	st, err := mention.Open(filepath.Join(rsite, ".hugo-pingback", "mentions.db"), &mention.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	all, err := st.Mentions(context.Background(), mention.Filter{})
	if err != nil || len(all) != 3 {
		t.Fatalf("store after stop: %d, %v", len(all), err)
	}
	st.Close()

	// And back into the site: `mentions export` writes one jf2 file per
	// target page.
	if out, stderr, code := cli(t, rsite, "mentions", "export"); code != 0 {
		t.Fatalf("mentions export: exit %d\n%s\n%s", code, out, stderr)
	}
	for proto, p := range map[string]string{"webmention": "wm", "pingback": "pb", "trackback": "tb"} {
		var feed struct {
			Children []struct {
				Source   string `json:"wm-source"`
				Target   string `json:"wm-target"`
				Property string `json:"wm-property"`
			} `json:"children"`
		}
		data, err := os.ReadFile(filepath.Join(rsite, "data", "mentions", p+".json"))
		if err != nil {
			t.Fatalf("%s: %v", proto, err)
		}
		if err := json.Unmarshal(data, &feed); err != nil || len(feed.Children) != 1 ||
			feed.Children[0].Source != source || feed.Children[0].Target != targets[proto] {
			t.Fatalf("%s: exported %s (%v)", proto, data, err)
		}
	}
}

// SIGKILL during a flood of Webmentions: every request that got a 202 is in
// the store afterwards, and a restarted serve verifies what was queued.
func TestServeCrashKeepsEveryAcceptedRequest(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "public", "post", "index.html"), "<html><body>a post</body></html>", 0o644)
	data := filepath.Join(dir, "mentions.db")
	site := "https://blog.example.net/"
	args := []string{"--base-url", site, "--public-url", "https://rx.example.net", "--data", data,
		"--allow-private", "--trust-proxy", "--quiet"}
	srv := startServe(t, dir, args...)

	const workers, killAt = 16, 400
	var accepted sync.Map // request id -> true
	var count atomic.Int64
	var seq atomic.Int64
	stop := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	c := &http.Client{Timeout: 10 * time.Second}
	for range workers {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				n := seq.Add(1)
				// Many clients behind the proxy, many source hosts (all of
				// 127/8 is loopback): the rate limits let the flood through.
				host := fmt.Sprintf("127.%d.%d.%d", 1+n/65536%250, n/256%256, 1+n%250)
				form := url.Values{"source": {"http://" + host + ":9/post"}, "target": {site + "post/"}}
				req, _ := http.NewRequest(http.MethodPost, srv.url+"/webmention", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.100.%d, 10.%d.%d.%d", n%250, n/65536%256, n/256%256, n%256))
				resp, err := c.Do(req)
				if err != nil {
					return // the server was killed
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusAccepted {
					loc := resp.Header.Get("Location")
					accepted.Store(loc[strings.LastIndexByte(loc, '/')+1:], true)
					if count.Add(1) >= killAt {
						once.Do(func() { srv.cmd.Process.Signal(syscall.SIGKILL) })
					}
				} else if resp.StatusCode != http.StatusTooManyRequests {
					t.Errorf("HTTP %d", resp.StatusCode)
				}
			}
		})
	}
	err := <-srv.done
	srv.done <- err
	close(stop)
	wg.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("serve was not killed: %v", err)
	}
	var ids []string
	accepted.Range(func(k, _ any) bool { ids = append(ids, k.(string)); return true })
	if len(ids) < killAt {
		t.Fatalf("only %d requests accepted", len(ids))
	}
	st, err := mention.Open(data, &mention.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("store after SIGKILL: %v", err)
	}
	queued, err := st.Queued(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if _, err := st.Request(context.Background(), id); err != nil {
			t.Errorf("request %s got a 202 but is not in the store: %v", id, err)
		}
	}
	st.Close()
	t.Logf("%d accepted before the kill, %d still queued in the store", len(ids), len(queued))

	// Restarted, serve takes the queue up again: every request is settled
	// (refused here: nothing listens on port 9 of those hosts).
	srv = startServe(t, dir, args...)
	slices.Sort(ids)
	deadline := time.Now().Add(60 * time.Second)
	for _, id := range ids {
		for {
			var status struct{ State mention.RequestState }
			req, _ := http.NewRequest(http.MethodGet, srv.url+"/webmention/"+id, nil)
			req.Header.Set("Accept", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			json.NewDecoder(resp.Body).Decode(&status)
			resp.Body.Close()
			if status.State != mention.Queued {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("request %s still queued a minute after the restart", id)
			}
			<-time.After(20 * time.Millisecond)
		}
	}
}

func TestServeUsageErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "open-token"), testToken, 0o644)
	writeFile(t, filepath.Join(dir, "short-token"), "abc", 0o600)
	tests := []struct {
		args []string
		code int
		want string
	}{
		// No site to take mentions for.
		{[]string{"serve", "--public-url", "https://rx.example.net"}, 2, "no site to take mentions for"},
		// No public URL for the status URLs.
		{[]string{"serve", "--base-url", "https://blog.example.net/"}, 2, "--public-url is required"},
		// A bad moderation mode names the flag.
		{[]string{"serve", "--moderate", "some"}, 2, "--moderate"},
		// A token file others can read.
		{[]string{"serve", "--base-url", "https://blog.example.net/", "--public-url", "https://rx.example.net", "--admin-token-file", filepath.Join(dir, "open-token")}, 1, "readable by others"},
		// A token too short to be one.
		{[]string{"serve", "--base-url", "https://blog.example.net/", "--public-url", "https://rx.example.net", "--admin-token-file", filepath.Join(dir, "short-token")}, 1, "at least 16 characters"},
		// --targets files without files.
		{[]string{"serve", "--base-url", "https://blog.example.net/", "--public-url", "https://rx.example.net", "--targets", "files"}, 1, "no built site"},
	}
	for _, tt := range tests {
		_, stderr, code := cli(t, dir, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, %s", tt.args, code, stderr)
		}
	}
}

// SIGTERM with a pingback in flight: the listener closes at once, the
// pingback is verified and answered, then serve exits 0.
func TestServeGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "public", "post", "index.html"), "<html><body>a post</body></html>", 0o644)
	site := "https://blog.example.net/"
	arrived, release := make(chan struct{}), make(chan struct{})
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-release
		fmt.Fprintf(w, `<html><head><title>Slow</title></head><body><a href="%spost/">a post</a></body></html>`, site)
	}))
	defer src.Close()
	srv := startServe(t, dir, "--base-url", site, "--public-url", "https://rx.example.net", "--allow-private", "--quiet")

	answer := make(chan string, 1)
	go func() {
		body := fmt.Sprintf(`<?xml version="1.0"?><methodCall><methodName>pingback.ping</methodName><params><param><value>%s/slow</value></param><param><value>%spost/</value></param></params></methodCall>`, src.URL, site)
		resp, err := http.Post(srv.url+"/xmlrpc", "text/xml", strings.NewReader(body))
		if err != nil {
			answer <- "error: " + err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		answer <- string(b)
	}()
	<-arrived
	srv.cmd.Process.Signal(syscall.SIGTERM)
	// The listener closes: new connections are refused while the pingback
	// is still being verified.
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(srv.url + "/healthz")
		if err != nil {
			break
		}
		resp.Body.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting connections 10 s after SIGTERM")
		}
		<-time.After(10 * time.Millisecond)
	}
	close(release)
	if a := <-answer; !strings.Contains(a, "registered") {
		t.Fatalf("the pingback in flight got %s", a)
	}
	select {
	case err := <-srv.done:
		srv.done <- err
		if err != nil {
			t.Fatalf("serve after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not exit")
	}
}
