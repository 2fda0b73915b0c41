package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ledger export writes what ledger import reads back, identically; a second
// import changes nothing; mistakes are named.
func TestCLILedgerExportImport(t *testing.T) {
	dir := t.TempDir()
	writeSite(t, filepath.Join(dir, "public"), 3, func(i int) []string {
		return []string{fmt.Sprintf("https://t%d.example/a", i), "https://shared.example/"}
	})
	if _, stderr, code := cli(t, dir, "send", "--site", dir, "--base-url", "https://blog.example.net/", "--baseline"); code != 0 {
		t.Fatalf("baseline: %s", stderr)
	}
	out, stderr, code := cli(t, dir, "ledger", "export", "--site", dir)
	if code != 0 {
		t.Fatalf("ledger export: exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var header struct {
		Format  string
		Version int
	}
	if err := json.Unmarshal([]byte(lines[0]), &header); err != nil || header.Format != "hugo-pingback ledger" || header.Version != 1 {
		t.Fatalf("first line %q is not the header", lines[0])
	}
	if len(lines) != 1+3+6 { // header, 3 pages, 6 notifications
		t.Errorf("export has %d lines, want 10:\n%s", len(lines), out)
	}

	// --out writes the same bytes, and leaves an unchanged file alone.
	if o, stderr, code := cli(t, dir, "ledger", "export", "--site", dir, "--out", "linkbacks.jsonl"); code != 0 || !strings.Contains(o, "exported") {
		t.Fatalf("export --out: exit %d: %s%s", code, o, stderr)
	}
	file := filepath.Join(dir, "linkbacks.jsonl")
	if data, _ := os.ReadFile(file); string(data) != out {
		t.Errorf("--out wrote other bytes than stdout")
	}
	if o, _, _ := cli(t, dir, "ledger", "export", "--site", dir, "--out", "linkbacks.jsonl"); !strings.Contains(o, "up to date") {
		t.Errorf("second export --out: %q, want it up to date", o)
	}

	// Import into a new ledger, then export it: the same bytes.
	other := filepath.Join(t.TempDir(), "other.db")
	o, stderr, code := cli(t, dir, "ledger", "import", file, "--ledger", other)
	if code != 0 || !strings.Contains(o, "9 added, 0 newer, 0 unchanged") {
		t.Fatalf("import: exit %d: %s%s", code, o, stderr)
	}
	if again, _, _ := cli(t, dir, "ledger", "export", "--ledger", other); again != out {
		t.Errorf("export of the imported ledger differs:\n%s\nwant\n%s", again, out)
	}
	if o, _, _ := cli(t, dir, "ledger", "import", file, "--ledger", other); !strings.Contains(o, "0 added, 0 newer, 9 unchanged") {
		t.Errorf("second import: %q, want nothing changed", o)
	}

	// A damaged export imported where there is no ledger leaves none (an
	// empty one would keep send --ledger-export from seeding it later).
	cutFile := filepath.Join(dir, "cut.jsonl")
	if err := os.WriteFile(cutFile, []byte(out[:len(out)/2]), 0o644); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(t.TempDir(), "fresh.db")
	if _, stderr, code := cli(t, dir, "ledger", "import", cutFile, "--ledger", fresh); code != 1 || !strings.Contains(stderr, "cut.jsonl") {
		t.Errorf("import of a damaged export: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Errorf("a failed import left a ledger at %s (%v)", fresh, err)
	}

	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		// No subcommand, or a mistyped one, with the closest.
		{[]string{"ledger"}, 2, "no command given"},
		{[]string{"ledger", "exprot"}, 2, "did you mean export?"},
		// import needs its file, and names one it cannot read.
		{[]string{"ledger", "import"}, 2, "want the FILE"},
		{[]string{"ledger", "import", "nope.jsonl", "--ledger", other}, 1, "nope.jsonl"},
		{[]string{"ledger", "import", filepath.Join(dir, "public", "posts", "0", "index.html"), "--ledger", other}, 1, "index.html: not a readable ledger export: line 1"},
		// export needs a ledger.
		{[]string{"ledger", "export", "--ledger", filepath.Join(dir, "none.db")}, 1, "no ledger at"},
	} {
		_, stderr, code := cli(t, dir, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d saying %q", c.args, code, stderr, c.code, c.want)
		}
	}
}

// send --ledger-export keeps an export current, and a job that lost its
// ledger (no CI cache) starts from the export: nothing is sent twice.
func TestCLISendLedgerExport(t *testing.T) {
	r := newReceiver(t)
	dir := t.TempDir()
	public := filepath.Join(dir, "public")
	writeSite(t, public, 2, func(i int) []string { return []string{r.srv.URL + fmt.Sprintf("/post/%d", i)} })
	blog := httptest.NewServer(http.FileServer(http.Dir(public)))
	defer blog.Close()
	args := []string{"send", "--site", dir, "--base-url", blog.URL + "/", "--allow-private", "--host-interval", "0", "--ledger-export", "linkbacks.jsonl"}

	out, stderr, code := cli(t, dir, args...)
	if code != 0 || !strings.Contains(out, "2 notified") || !strings.Contains(out, "ledger exported to") {
		t.Fatalf("first send: exit %d\n%s%s", code, out, stderr)
	}
	export := filepath.Join(dir, "linkbacks.jsonl")
	data, err := os.ReadFile(export)
	if err != nil || !strings.Contains(string(data), `"status":"notified"`) {
		t.Fatalf("export after the first send: %v\n%s", err, data)
	}

	// The next job has no ledger, only the committed export.
	if err := os.RemoveAll(filepath.Join(dir, ".hugo-pingback")); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(export, old, old); err != nil {
		t.Fatal(err)
	}
	out, stderr, code = cli(t, dir, args...)
	if code != 0 || !strings.Contains(stderr, "started it from") || !strings.Contains(out, "0 notified") {
		t.Fatalf("send without a ledger: exit %d\n%s%s", code, out, stderr)
	}
	if strings.Contains(out, "first run") {
		t.Errorf("a ledger started from the export was taken for a first run:\n%s", out)
	}
	r.mu.Lock()
	total := r.total
	r.mu.Unlock()
	if total != 2 {
		t.Errorf("receiver got %d notifications, want the 2 of the first send only", total)
	}
	if fi, _ := os.Stat(export); !fi.ModTime().Equal(old) {
		t.Error("a send that changed nothing rewrote the export")
	}
}

// Losing the ledger is harmless on a real Hugo site: a first run on a copy
// of example-site (whose posts are old) records their links as handled,
// says so, and sends nothing (so this test makes no request at all).
func TestCLIFirstRunExampleSite(t *testing.T) {
	dir := copyExampleSite(t)
	if out, stderr, code := cli(t, dir, "build"); code != 0 {
		t.Fatalf("build: exit %d\n%s\n%s", code, out, stderr)
	}
	out, stderr, code := cli(t, dir, "send")
	if code != 0 {
		t.Fatalf("first send: exit %d\n%s\n%s", code, out, stderr)
	}
	if !strings.Contains(out, "first run (no run recorded in the ledger):") || !strings.Contains(out, "recorded as handled, not sent (firstRunMaxAge 14d") || !strings.Contains(out, "0 notified") {
		t.Errorf("first send does not say what it did:\n%s", out)
	}
	st, _, code := cli(t, dir, "status", "--json")
	var status struct{ Counts map[string]int }
	if code != 0 || json.Unmarshal([]byte(st), &status) != nil || status.Counts["baseline"] == 0 || status.Counts["pending"] != 0 {
		t.Errorf("status after the first run: %s", st)
	}
	// The second run is no first run.
	out, _, code = cli(t, dir, "send")
	if code != 0 || strings.Contains(out, "first run") || !strings.Contains(out, "0 notified") {
		t.Errorf("second send: exit %d\n%s", code, out)
	}
}

// ledger compact rewrites the ledger without changing what it holds.
func TestCLILedgerCompact(t *testing.T) {
	dir := t.TempDir()
	writeSite(t, filepath.Join(dir, "public"), 20, func(i int) []string {
		return []string{fmt.Sprintf("https://t%d.example/a", i)}
	})
	if _, stderr, code := cli(t, dir, "send", "--site", dir, "--base-url", "https://blog.example.net/", "--baseline"); code != 0 {
		t.Fatalf("baseline: %s", stderr)
	}
	before, _, _ := cli(t, dir, "ledger", "export", "--site", dir)
	out, stderr, code := cli(t, dir, "ledger", "compact", "--site", dir)
	if code != 0 || !strings.Contains(out, "compacted ") || !strings.Contains(out, " bytes") {
		t.Fatalf("ledger compact: exit %d: %s%s", code, out, stderr)
	}
	if after, _, _ := cli(t, dir, "ledger", "export", "--site", dir); after != before {
		t.Error("compaction changed the ledger's records")
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, ".hugo-pingback")); len(entries) != 1 {
		t.Errorf(".hugo-pingback holds %v, want the ledger alone", entries)
	}
}
