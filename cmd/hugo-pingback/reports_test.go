package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCLISendSummaryAndOutputs runs send as CI does, with --summary and
// --outputs naming files that earlier steps already wrote to: both are
// appended to, never truncated, also on a --strict failure, and a second run
// appends a second report.
func TestCLISendSummaryAndOutputs(t *testing.T) {
	r := newReceiver(t)
	r.fault["/closed"] = 33
	dir := t.TempDir()
	writeSite(t, filepath.Join(dir, "public"), 2, func(i int) []string {
		return []string{r.srv.URL + fmt.Sprintf("/open/%d", i), r.srv.URL + fmt.Sprintf("/closed/%d", i)}
	})
	summary, outputs := filepath.Join(dir, "step_summary.md"), filepath.Join(dir, "output.env")
	if err := os.WriteFile(summary, []byte("## Earlier step\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(outputs, []byte("earlier=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"send", "--site", dir, "--base-url", "https://blog.example.net/", "--allow-private", "--no-verify-live", "--host-interval", "0",
		"--summary", summary, "--outputs", outputs}

	_, stderr, code := cli(t, dir, append(args, "--strict")...)
	if code != 3 {
		t.Fatalf("--strict with permanent failures: exit %d, want 3\n%s", code, stderr)
	}
	md := read(t, summary)
	for _, want := range []string{
		"## Earlier step\n### hugo-pingback send\n",
		"| notified | 2 |", "| failed | 2 |",
		"#### Failed (2)",
		"receiver says the target cannot take pingbacks (fault 33)",
		"`" + r.srv.URL + "/closed/1`",
		"#### Notified (2)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q:\n%s", want, md)
		}
	}
	env := read(t, outputs)
	for _, want := range []string{"earlier=1\nmode=send\n", "\nnotified=2\n", "\nfailed=2\n", "\ndeferred=0\n"} {
		if !strings.Contains(env, want) {
			t.Errorf("outputs lack %q:\n%s", want, env)
		}
	}

	if _, stderr, code := cli(t, dir, args...); code != 0 {
		t.Fatalf("second run: exit %d\n%s", code, stderr)
	}
	if n := strings.Count(read(t, summary), "### hugo-pingback send"); n != 2 {
		t.Errorf("summary holds %d reports after two runs, want 2", n)
	}
	if env := read(t, outputs); !strings.HasSuffix(env, "\nnew_links=0\nplanned=0\nnotified=0\nalready_registered=0\nfailed=0\nretry=0\ndeferred=0\nno_endpoint=0\nunsent=0\nself_ping=0\nexcluded=0\nbaseline=0\nbudget_exhausted=false\ninterrupted=false\n") {
		t.Errorf("second run's outputs do not end the file:\n%s", env)
	}

	// An unwritable summary path is an error naming the flag and the file.
	bad := filepath.Join(dir, "no-such-dir", "summary.md")
	_, stderr, code = cli(t, dir, append(args, "--summary", bad)...)
	if code != 1 || !strings.Contains(stderr, "--summary "+bad) {
		t.Errorf("unwritable --summary: exit %d, stderr %q", code, stderr)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
