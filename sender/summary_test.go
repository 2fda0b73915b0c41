package sender

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// mixedReport is a send run with one item of every outcome, and a receiver
// whose answer tries to inject Markdown and HTML into the summary.
func mixedReport() *Report {
	r := &Report{Mode: "send", Pages: 12, NewPages: 2, Changed: 1, Unchanged: 9, NewLinks: 6, SendingPages: 3, SelfPing: 1}
	d := &deliverResult{}
	for _, it := range []Item{
		{Source: "https://blog.example.net/posts/a/", Target: "https://wp.example.org/2026/hello/", Kind: KindNew, Status: "notified", Protocol: "pingback", Endpoint: "https://wp.example.org/xmlrpc.php", Answer: "Pingback from https://blog.example.net/posts/a/ registered"},
		{Source: "https://blog.example.net/posts/a/", Target: "https://indie.example.com/note/1", Kind: KindUpdate, Status: "notified", Protocol: "webmention", Endpoint: "https://indie.example.com/wm", Code: 202},
		{Source: "https://blog.example.net/posts/b/", Target: "https://wp.example.org/2026/gone/", Kind: KindNew, Status: "failed", Protocol: "pingback", Endpoint: "https://wp.example.org/xmlrpc.php", Code: 32, Error: "receiver says the target does not exist (fault 32)"},
		{Source: "https://blog.example.net/posts/b/", Target: "https://evil.example/a|b`c", Kind: KindNew, Status: "failed", Protocol: "webmention", Endpoint: "https://evil.example/wm", Code: 400, Error: "https://evil.example/wm answered HTTP 400 Bad Request: <img src=x onerror=alert(1)> [click](https://evil.example/) *now*\n| forged | row |"},
		{Source: "https://blog.example.net/posts/c/", Target: "https://slow.example.com/post", Kind: KindRetry, Status: "retry", Protocol: "webmention", Endpoint: "https://slow.example.com/wm", Error: "timed out after 10s"},
		{Source: "https://blog.example.net/posts/new/", Target: "https://wp.example.org/2026/hello/", Kind: KindNew, Status: "deferred", Error: "https://blog.example.net/posts/new/ answered HTTP 404 Not Found"},
		{Source: "https://blog.example.net/posts/c/", Target: "https://github.example.com/owner/repo", Kind: KindNew, Status: "no-endpoint", Error: "target does not accept webmention or pingback"},
	} {
		d.add(it)
	}
	d.addAlreadyRegistered()
	r.setDelivery(d)
	r.Services = []Item{{Protocol: "websub", Endpoint: "https://hub.example.com/", Status: "notified"}}
	return r
}

func TestMarkdownAndOutputs(t *testing.T) {
	budget := mixedReport()
	budget.BudgetExhausted = true
	budget.Unsent += 2
	budget.Warnings = []string{"content link https://x.example/ missing from the published page <b>"}

	dry := &Report{Mode: "dry-run", Pages: 3, NewPages: 3, NewLinks: 2, Planned: 2, Items: []Item{
		{Source: "https://blog.example.net/a/", Target: "https://t.example.com/1", Kind: KindNew, Status: "planned"},
		{Source: "https://blog.example.net/a/", Target: "https://t.example.com/2", Kind: KindNew, Status: "planned"},
	}}

	for _, tc := range []struct {
		name string
		rep  *Report
	}{
		// every outcome, escaped reasons, a service ping
		{"mixed", mixedReport()},
		// the budget ran out: the note, the unsent count and a warning
		{"budget", budget},
		// a dry run lists the plan and says nothing was sent
		{"dryrun", dry},
		// a baseline sends nothing and lists nothing
		{"baseline", &Report{Mode: "baseline", Pages: 40, NewPages: 40, NewLinks: 95, Baseline: 95}},
		// nothing to do: the counts table alone
		{"empty", &Report{Mode: "send", Pages: 40, Unchanged: 40}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var md, env bytes.Buffer
			if err := tc.rep.Markdown(&md); err != nil {
				t.Fatal(err)
			}
			if err := tc.rep.Outputs(&env); err != nil {
				t.Fatal(err)
			}
			golden(t, "summary/"+tc.name+".md", md.String())
			golden(t, "summary/"+tc.name+".env", env.String())
		})
	}
}

// TestMarkdownEscapes checks that text chosen by a receiver can neither add
// table rows nor become a link, an image or HTML.
func TestMarkdownEscapes(t *testing.T) {
	var md bytes.Buffer
	if err := mixedReport().Markdown(&md); err != nil {
		t.Fatal(err)
	}
	out := md.String()
	for _, bad := range []string{"<img", "[click](", "| forged | row |", "*now*", "a|b"} {
		if regexp.MustCompile(`(^|[^\\])` + regexp.QuoteMeta(bad)).MatchString(out) {
			t.Errorf("summary contains unescaped %q:\n%s", bad, out)
		}
	}
	// Every table row has exactly the header's four cells: an unescaped pipe
	// in a URL or reason would add one.
	cell := regexp.MustCompile(`(^|[^\\])\|`)
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "| `") {
			if n := len(cell.FindAllString(line, -1)); n != 5 {
				t.Errorf("row has %d cell separators, want 5: %s", n, line)
			}
		}
	}
}

// TestMarkdownBound checks a huge run: at most MaxSummaryItems rows, failures
// listed before the notified ones, and the left-out count said in words.
func TestMarkdownBound(t *testing.T) {
	r := &Report{Mode: "send"}
	d := &deliverResult{}
	const failed, notified = 30, 500
	for i := range notified {
		d.add(Item{Source: "https://blog.example.net/p/", Target: fmt.Sprintf("https://t.example.com/%d", i), Status: "notified", Protocol: "webmention"})
	}
	for i := range failed {
		d.add(Item{Source: "https://blog.example.net/p/", Target: fmt.Sprintf("https://f.example.com/%d", i), Status: "failed", Protocol: "pingback", Error: "receiver says the target does not exist (fault 32)"})
	}
	r.setDelivery(d)
	var md bytes.Buffer
	if err := r.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	out := md.String()
	if rows := strings.Count(out, "\n| `"); rows != MaxSummaryItems {
		t.Errorf("%d rows listed, want %d", rows, MaxSummaryItems)
	}
	if !strings.Contains(out, "https://f.example.com/29") {
		t.Error("the last failure is not listed: failures must come first")
	}
	if i, j := strings.Index(out, "#### Failed (30)"), strings.Index(out, "#### Notified (500)"); i < 0 || j < i {
		t.Errorf("sections missing or out of order: failed at %d, notified at %d", i, j)
	}
	want := fmt.Sprintf("%d more not listed", notified-(MaxSummaryItems-failed))
	if !strings.Contains(out, want) {
		t.Errorf("summary does not say %q", want)
	}
	if len(out) > 100<<10 {
		t.Errorf("summary of %d items is %d bytes; the bound should keep it small", failed+notified, len(out))
	}
}

// TestOutputsKeys checks that every key is written once, in OutputKeys
// order, as key=value lines a dotenv parser reads.
func TestOutputsKeys(t *testing.T) {
	var env bytes.Buffer
	if err := mixedReport().Outputs(&env); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(env.String(), "\n"), "\n")
	if len(lines) != len(OutputKeys) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(OutputKeys), env.String())
	}
	line := regexp.MustCompile(`^[a-z_]+=[a-z0-9-]+$`)
	for i, l := range lines {
		if !line.MatchString(l) || !strings.HasPrefix(l, OutputKeys[i]+"=") {
			t.Errorf("line %d is %q, want %s=VALUE", i, l, OutputKeys[i])
		}
	}
	for _, want := range []string{"notified=2\n", "failed=2\n", "deferred=1\n", "retry=1\n", "no_endpoint=1\n", "already_registered=1\n", "self_ping=1\n"} {
		if !strings.Contains(env.String(), want) {
			t.Errorf("outputs lack %q:\n%s", want, env.String())
		}
	}
}
