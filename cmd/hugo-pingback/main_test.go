package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	bolt "go.etcd.io/bbolt"

	"github.com/hugo-pingback/hugo-pingback/internal/sitegen"
	"github.com/hugo-pingback/hugo-pingback/state"
)

// The test binary doubles as the real binary: with HP_BE_MAIN=1 it runs
// main, so the CLI tests exec the very program users run, exit codes,
// signals and all; the scripts of testdata/script run it as hugo-pingback
// (testscript puts it on their PATH under that name).
func TestMain(m *testing.M) {
	if os.Getenv("HP_BE_MAIN") == "1" {
		main()
		return
	}
	testscript.Main(m, map[string]func(){"hugo-pingback": main})
}

// cli runs the binary with args in dir and returns stdout, stderr and the exit code.
func cli(t *testing.T, dir string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HP_BE_MAIN=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

// receiver is a pingback receiver on loopback that answers 48 to a repeat,
// like WordPress, and counts every call per (source, target).
type receiver struct {
	srv    *httptest.Server
	delay  time.Duration
	fault  map[string]int // target substring -> fault code
	onPing func(total int)

	mu    sync.Mutex
	pings map[string]int
	total int
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{pings: map[string]int{}, fault: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	switch {
	case req.URL.Path == "/webmention" && req.Method == http.MethodPost:
		// A Webmention receiver: a repeat is accepted again, as the spec says.
		req.ParseForm()
		r.count(req.PostForm.Get("source") + " -> " + req.PostForm.Get("target"))
		w.WriteHeader(http.StatusAccepted)
		return
	case strings.HasPrefix(req.URL.Path, "/wm/"):
		w.Header().Set("Link", `</webmention>; rel="webmention"`)
		fmt.Fprint(w, "<html><head><title>target</title></head><body>target</body></html>")
		return
	case req.URL.Path != "/xmlrpc":
		w.Header().Set("X-Pingback", r.srv.URL+"/xmlrpc")
		fmt.Fprint(w, "<html><head><title>target</title></head><body>target</body></html>")
		return
	}
	var call struct {
		Params []string `xml:"params>param>value>string"`
	}
	body, _ := io.ReadAll(req.Body)
	if err := xml.Unmarshal(body, &call); err != nil || len(call.Params) != 2 {
		http.Error(w, "bad call", http.StatusBadRequest)
		return
	}
	if r.delay > 0 {
		time.Sleep(r.delay)
	}
	n := r.count(call.Params[0] + " -> " + call.Params[1])
	code := 0
	for sub, c := range r.fault {
		if strings.Contains(call.Params[1], sub) {
			code = c
		}
	}
	if n > 1 {
		code = 48
	}
	w.Header().Set("Content-Type", "text/xml")
	if code != 0 {
		fmt.Fprintf(w, `<methodResponse><fault><value><struct><member><name>faultCode</name><value><i4>%d</i4></value></member><member><name>faultString</name><value>f</value></member></struct></value></fault></methodResponse>`, code)
		return
	}
	fmt.Fprint(w, `<methodResponse><params><param><value><string>ok</string></value></param></params></methodResponse>`)
}

// count records one notification and returns how many that pair has had.
func (r *receiver) count(key string) int {
	r.mu.Lock()
	r.pings[key]++
	r.total++
	n, total, onPing := r.pings[key], r.total, r.onPing
	r.mu.Unlock()
	if onPing != nil {
		onPing(total)
	}
	return n
}

func (r *receiver) setOnPing(fn func(total int)) {
	r.mu.Lock()
	r.onPing = fn
	r.mu.Unlock()
}

// writeSite writes pages posts/N/index.html, each linking to the targets
// that links(N) returns.
func writeSite(t *testing.T, public string, pages int, links func(i int) []string) {
	t.Helper()
	for i := 0; i < pages; i++ {
		var b strings.Builder
		b.WriteString(`<!doctype html><html><head><title>Post</title></head><body><nav><a href="https://nav.invalid/">nav</a></nav><article><h1>Post</h1>`)
		for _, l := range links(i) {
			fmt.Fprintf(&b, `<p><a href="%s">link</a></p>`, l)
		}
		b.WriteString(`</article></body></html>`)
		p := filepath.Join(public, "posts", fmt.Sprint(i), "index.html")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCLISendStatusAndStrict(t *testing.T) {
	r := newReceiver(t)
	r.fault["/closed"] = 33
	dir := t.TempDir()
	public := filepath.Join(dir, "public")
	writeSite(t, public, 2, func(i int) []string {
		return []string{r.srv.URL + fmt.Sprintf("/open/%d", i), r.srv.URL + fmt.Sprintf("/closed/%d", i)}
	})
	base := []string{"send", "--site", dir, "--base-url", "https://blog.example.net/", "--allow-private", "--no-verify-live", "--host-interval", "0"}

	out, stderr, code := cli(t, dir, append(base, "--json", "--strict")...)
	if code != 3 {
		t.Fatalf("--strict with permanent failures: exit %d, want 3\n%s", code, stderr)
	}
	var rep struct {
		Notified, Failed int
		Items            []struct{ Status, Protocol, Endpoint string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out)
	}
	if rep.Notified != 2 || rep.Failed != 2 || len(rep.Items) != 4 || rep.Items[0].Protocol != "pingback" || rep.Items[0].Endpoint == "" {
		t.Errorf("json report: %+v", rep)
	}

	out, _, code = cli(t, dir, "status", "--site", dir)
	if code != 0 || !strings.Contains(out, "failed") || !strings.Contains(out, "fault 33") || !strings.Contains(out, "via pingback") {
		t.Errorf("status: exit %d\n%s", code, out)
	}
	out, _, code = cli(t, dir, "status", "--site", dir, "--json")
	var st struct{ Notifications []state.Notification }
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || len(st.Notifications) != 4 {
		t.Errorf("status --json: exit %d\n%s", code, out)
	}

	// Run again: nothing new, exit 0 without --strict.
	out, _, code = cli(t, dir, base...)
	if code != 0 || !strings.Contains(out, "0 new") {
		t.Errorf("second run: exit %d\n%s", code, out)
	}
}

func TestCLILedgerErrors(t *testing.T) {
	dir := t.TempDir()
	public := filepath.Join(dir, "public")
	writeSite(t, public, 1, func(int) []string { return nil })
	args := []string{"send", "--site", dir, "--base-url", "https://blog.example.net/", "--baseline"}

	// A ledger held by another process: fails fast, says so.
	if _, stderr, code := cli(t, dir, args...); code != 0 {
		t.Fatalf("baseline: %s", stderr)
	}
	ledger := filepath.Join(dir, ".hugo-pingback", "ledger.db")
	l, err := state.Open(ledger, nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, stderr, code := cli(t, dir, args...)
	l.Close()
	if code != 1 || !strings.Contains(stderr, "in use") || time.Since(start) > 30*time.Second {
		t.Errorf("locked ledger: exit %d after %s: %s", code, time.Since(start), stderr)
	}

	// A corrupt ledger is named, and left as it was.
	junk := bytes.Repeat([]byte("not a database "), 1000)
	if err := os.WriteFile(ledger, junk, 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = cli(t, dir, args...)
	if code != 1 || !strings.Contains(stderr, ledger) {
		t.Errorf("corrupt ledger: exit %d: %s", code, stderr)
	}
	if got, _ := os.ReadFile(ledger); !bytes.Equal(got, junk) {
		t.Error("corrupt ledger was modified")
	}
}

// TestCLICrashLosesNothing kills the sender with SIGKILL at several moments
// mid-run, then runs it again: every link must end up notified, none more
// than twice, and the ledger must still open.
func TestCLICrashLosesNothing(t *testing.T) {
	for _, killAfter := range []int{1, 7, 23} {
		t.Run(fmt.Sprintf("after %d pings", killAfter), func(t *testing.T) {
			var receivers []*receiver
			for i := 0; i < 3; i++ {
				r := newReceiver(t)
				r.delay = 5 * time.Millisecond
				receivers = append(receivers, r)
			}
			dir := t.TempDir()
			const pages = 12
			// Each page links to every receiver, half of them by pingback
			// and half by Webmention; the blog itself is served, so the live
			// check runs as in production.
			target := func(r *receiver, i, j int) string {
				kind := "t"
				if (i+j)%2 == 1 {
					kind = "wm"
				}
				return fmt.Sprintf("%s/%s/%d/%d", r.srv.URL, kind, i, j)
			}
			writeSite(t, filepath.Join(dir, "public"), pages, func(i int) []string {
				var ls []string
				for j, r := range receivers {
					ls = append(ls, target(r, i, j))
				}
				return ls
			})
			blog := httptest.NewServer(http.FileServer(http.Dir(filepath.Join(dir, "public"))))
			defer blog.Close()
			args := []string{"send", "--site", dir, "--base-url", blog.URL + "/", "--allow-private", "--host-interval", "0"}

			cmd := exec.Command(os.Args[0], args...)
			cmd.Env = append(os.Environ(), "HP_BE_MAIN=1")
			var killed sync.Once
			var total int
			var mu sync.Mutex
			t0 := time.Now()
			defer func() { t.Logf("total %s", time.Since(t0)) }()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Set after Start: the receivers' mutex then orders cmd.Process
			// before the kill. The first run takes far longer than this.
			for _, r := range receivers {
				r.setOnPing(func(int) {
					mu.Lock()
					total++
					n := total
					mu.Unlock()
					if n >= killAfter {
						killed.Do(func() { cmd.Process.Signal(syscall.SIGKILL) })
					}
				})
			}
			err := cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("first run was not killed: %v", err)
			}
			t.Logf("killed after %s", time.Since(t0))
			for _, r := range receivers {
				r.setOnPing(nil)
			}
			if _, stderr, code := cli(t, dir, args...); code != 0 {
				t.Fatalf("run after the crash: exit %d: %s", code, stderr)
			}
			for _, r := range receivers {
				r.mu.Lock()
				for i := 0; i < pages; i++ {
					for j := range receivers {
						if r != receivers[j] {
							continue
						}
						key := fmt.Sprintf("%s/posts/%d/ -> %s", blog.URL, i, target(r, i, j))
						if n := r.pings[key]; n < 1 || n > 2 {
							t.Errorf("%s pinged %d times, want 1 or 2", key, n)
						}
					}
				}
				r.mu.Unlock()
			}
			l, err := state.Open(filepath.Join(dir, ".hugo-pingback", "ledger.db"), &state.Options{ReadOnly: true})
			if err != nil {
				t.Fatalf("ledger after crash: %v", err)
			}
			defer l.Close()
			notified := 0
			l.ForEachNotification(func(n state.Notification) error {
				if n.Status == state.StatusNotified {
					notified++
				} else {
					t.Errorf("%s -> %s: %s %s", n.Source, n.Target, n.Status, n.LastError)
				}
				return nil
			})
			if notified != pages*len(receivers) {
				t.Errorf("%d notified, want %d", notified, pages*len(receivers))
			}
		})
	}
}

var _ = context.Background

// TestCLIInjectKilled kills inject with SIGKILL mid-run until a run has left
// temporary files of its atomic writes in the publish dir (a host would
// deploy them), then runs it again: that run removes them and says so, and
// every page ends up with the tags exactly once. Whether a kill lands
// between a temporary file's creation and its rename is up to the
// scheduler; when a few kills leave none, the test leaves such files
// itself, named as os.CreateTemp names them, so the clean-up is always
// tested.
func TestCLIInjectKilled(t *testing.T) {
	dir := t.TempDir()
	public := filepath.Join(dir, "public")
	const pages = 1500
	if _, err := sitegen.Generate(public, sitegen.Options{Pages: pages, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(public, "posts", "*", "index.html"))
	if err != nil || len(files) != pages {
		t.Fatalf("%d pages generated: %v", len(files), err)
	}
	sort.Strings(files) // inject's order
	const receiver = "https://rx.example/xmlrpc"
	tag := `<link rel="pingback" href="` + receiver + `">`
	injected := func(p string) bool {
		b, _ := os.ReadFile(p)
		return bytes.Contains(b, []byte(tag))
	}
	tempFiles := func() []string {
		var found []string
		filepath.WalkDir(public, func(p string, d fs.DirEntry, err error) error {
			if err == nil && strings.Contains(d.Name(), ".tmp-") {
				found = append(found, p)
			}
			return err
		})
		return found
	}
	args := []string{"inject", "--public", public, "--receiver", receiver}

	var left []string
	for attempt := 0; len(left) == 0; attempt++ {
		// Kill the run once it has written a page a little past the first
		// one still to do: the workers are then writing pages.
		next := sort.Search(len(files), func(i int) bool { return !injected(files[i]) })
		if next+200 >= len(files) || attempt == 5 {
			for i, f := range files[len(files)-3:] {
				p := filepath.Join(filepath.Dir(f), fmt.Sprintf(".index.html.tmp-%d", 1000003*(i+1)))
				if err := os.WriteFile(p, []byte("half a page"), 0o600); err != nil {
					t.Fatal(err)
				}
				left = append(left, p)
			}
			t.Logf("%d kills left no temporary file; left %d as a killed run would", attempt, len(left))
			break
		}
		watch := files[next+200]
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(os.Environ(), "HP_BE_MAIN=1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		tick := time.NewTicker(time.Millisecond)
		deadline := time.Now().Add(time.Minute)
		for !injected(watch) && time.Now().Before(deadline) {
			select {
			case err := <-exited:
				t.Fatalf("inject ended before it was killed: %v", err)
			case <-tick.C:
			}
		}
		tick.Stop()
		cmd.Process.Signal(syscall.SIGKILL)
		<-exited
		left = tempFiles()
		t.Logf("attempt %d: killed after %s was written; %d temporary files left", attempt+1, filepath.Base(filepath.Dir(watch)), len(left))
	}

	out, stderr, code := cli(t, dir, args...)
	if code != 0 {
		t.Fatalf("inject after the kill: exit %d\n%s%s", code, out, stderr)
	}
	if got := tempFiles(); len(got) != 0 {
		t.Errorf("temporary files left after the next run: %q", got)
	}
	for _, f := range left {
		if !strings.Contains(out, "removed "+f) {
			t.Errorf("the run does not say it removed %s:\n%s", f, out)
		}
	}
	for _, f := range files {
		if b, _ := os.ReadFile(f); bytes.Count(b, []byte(tag)) != 1 {
			t.Fatalf("%s does not carry the tag exactly once", f)
		}
	}
}

// TestCLIErrorsNameThingsOnce: an error names its file once, with one
// prefix per step (not "read ledger X: read ledger X: ...").
func TestCLIErrorsNameThingsOnce(t *testing.T) {
	dir := t.TempDir()
	writeSite(t, filepath.Join(dir, "public"), 1, func(int) []string { return []string{"https://x.example/"} })
	if _, stderr, code := cli(t, dir, "send", "--site", dir, "--base-url", "https://blog.example.net/", "--baseline"); code != 0 {
		t.Fatalf("baseline: %s", stderr)
	}
	ledger := filepath.Join(dir, ".hugo-pingback", "ledger.db")
	// A record the ledger cannot read: the page's source record.
	db, err := bolt.Open(ledger, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		pages := tx.Bucket([]byte("pages"))
		k, _ := pages.Cursor().First()
		if k == nil {
			return errors.New("the baseline recorded no page")
		}
		return pages.Put(bytes.Clone(k), []byte{0xff})
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	broken := t.TempDir()
	os.WriteFile(filepath.Join(broken, "hugo.toml"), []byte("baseURL = \n"), 0o644)

	for _, c := range []struct {
		args []string
		name string // what the message must name once
	}{
		// A ledger record that cannot be read.
		{[]string{"status", "--site", dir}, ledger},
		// A Hugo config that cannot be read.
		{[]string{"build", "--site", broken}, filepath.Join(broken, "hugo.toml")},
	} {
		_, stderr, code := cli(t, dir, c.args...)
		if code != 1 || strings.Count(stderr, c.name) != 1 {
			t.Errorf("%v: exit %d, want 1 and %s named once:\n%s", c.args, code, c.name, stderr)
		}
		if rep := repeatedStep(stderr); rep != "" {
			t.Errorf("%v: %q repeats in\n%s", c.args, rep, stderr)
		}
	}
}

// repeatedStep returns a step ("read ledger /x") that an error message
// names twice, or "".
func repeatedStep(msg string) string {
	seen := map[string]bool{}
	for _, part := range strings.Split(msg, ": ") {
		part = strings.TrimSpace(part)
		if len(part) < 4 {
			continue
		}
		if seen[part] {
			return part
		}
		seen[part] = true
	}
	return ""
}

// TestCLIInjectIfConfigured: with --if-configured, a site that names no
// receiver is told so and left as it was (exit 0), while a configured one
// is injected as usual; without the flag the missing receiver stays an error.
func TestCLIInjectIfConfigured(t *testing.T) {
	dir := t.TempDir()
	public := filepath.Join(dir, "public")
	writeSite(t, public, 1, func(int) []string { return nil })
	page := filepath.Join(public, "posts", "0", "index.html")
	before, _ := os.ReadFile(page)

	cases := []struct {
		args     []string
		code     int
		stdout   string // a substring of stdout
		injected bool   // the page carries the tag afterwards
	}{
		// No receiver, plain text: one line says why nothing happened.
		{[]string{"--if-configured"}, 0, "no receiver configured", false},
		// No receiver, JSON: the report says it in a field a program reads.
		{[]string{"--if-configured", "--json"}, 0, `"no_receiver": true`, false},
		// Without the flag a missing receiver is still a usage error.
		{nil, 2, "", false},
		// A receiver given: --if-configured changes nothing about the work.
		{[]string{"--if-configured", "--receiver", "https://rx.example/xmlrpc", "--headers"}, 0, "1 changed", true},
	}
	for _, c := range cases {
		args := append([]string{"inject", "--site", dir, "--public", public}, c.args...)
		out, stderr, code := cli(t, dir, args...)
		if code != c.code || !strings.Contains(out, c.stdout) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d and %q", c.args, code, out, stderr, c.code, c.stdout)
		}
		after, _ := os.ReadFile(page)
		if got := strings.Contains(string(after), `<link rel="pingback" href="https://rx.example/xmlrpc">`); got != c.injected {
			t.Errorf("%v: page injected = %v, want %v", c.args, got, c.injected)
		}
		if !c.injected && string(after) != string(before) {
			t.Errorf("%v: the page changed without a receiver", c.args)
		}
	}
	if _, err := os.Stat(filepath.Join(public, "_headers")); err != nil {
		t.Errorf("--headers with a receiver wrote no _headers: %v", err)
	}
}
