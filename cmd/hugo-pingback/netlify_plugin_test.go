package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hugo-pingback/hugo-pingback/internal/testenv"
)

// TestNetlifyPlugin runs the Netlify build plugin's own node:test suite
// (netlify-plugin-hugo-pingback/test) with this very binary as the
// hugo-pingback it drives, so `go test ./...` covers the plugin too.
func TestNetlifyPlugin(t *testing.T) {
	if testing.Short() {
		t.Skip("the plugin suite builds sites and runs deploys; skipped with -short")
	}
	node := testenv.Program(t, "the Netlify plugin's node:test suite", "node")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := filepath.Abs("../../netlify-plugin-hugo-pingback")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "--test")
	cmd.Dir = dir
	// The test binary is the CLI when HP_BE_MAIN=1 (see TestMain); the
	// plugin passes its environment on to every command it runs.
	cmd.Env = append(os.Environ(), "HUGO_PINGBACK_BIN="+self, "HP_BE_MAIN=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test in %s: %v\n%s", dir, err, out)
	}
	t.Logf("%s", lastLines(out, 12))
}

func lastLines(b []byte, n int) []byte {
	for i := len(b) - 2; i >= 0; i-- {
		if b[i] == '\n' {
			if n--; n == 0 {
				return b[i+1:]
			}
		}
	}
	return b
}
