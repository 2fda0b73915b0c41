// Package testenv finds the programs some tests need (python3 for the
// independent peers, node, chromium, shellcheck, actionlint) and the
// repository's own files, for tests only.
//
// A test whose program is missing is skipped on a developer's machine, but
// fails in CI: .ci/run installs every program and sets HP_CI=1, so a suite
// can never pass there by skipping.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// InCI reports whether the tests run under .ci/run (HP_CI=1).
func InCI() bool { return os.Getenv("HP_CI") == "1" }

// Program returns the path of the first of names found (a name on PATH or
// a path), or skips the test, or in CI fails it, saying what needs it.
func Program(t testing.TB, why string, names ...string) string {
	t.Helper()
	for _, n := range names {
		if n == "" {
			continue
		}
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	Missing(t, names[len(names)-1]+" is not installed ("+why+")")
	return ""
}

// Missing skips the test for a missing program, or fails it in CI.
func Missing(t testing.TB, what string) {
	t.Helper()
	if InCI() {
		t.Fatalf("%s; CI (HP_CI=1) must provide it: .ci/run installs it", what)
	}
	t.Skip(what)
}

// Root returns the repository's root directory: the nearest parent of the
// working directory (a test's package directory) that holds go.mod. It
// works whatever the build flags (-trimpath hides source paths).
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			t.Fatalf("no go.mod above %s", dir)
		}
	}
}
