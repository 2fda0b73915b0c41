// Package peertest starts the independent protocol peers of the tests:
// receivers written with Python's standard library (xmlrpc.server), which
// nobody in this project wrote, beside our own httptest servers.
//
// It is for tests only and never used by the tool.
package peertest

import (
	"bufio"
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hugo-pingback/hugo-pingback/internal/testenv"
)

// Script is the path of a peer script under linkback/testdata/peer.
func Script(t testing.TB, name string) string {
	return filepath.Join(testenv.Root(t), "linkback", "testdata", "peer", name)
}

// Start runs a peer script, which prints "PORT n" once it listens on
// 127.0.0.1 and exits when its stdin closes, and returns its base URL. The
// peer is stopped when the test ends. Without python3 the test is skipped,
// except in CI, where a missing peer is a failure (see testenv).
func Start(t testing.TB, script string, args ...string) string {
	t.Helper()
	python := testenv.Program(t, "the independent XML-RPC peer", "python3")
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, python, append([]string{script}, args...)...)
	stdin, err := cmd.StdinPipe() // the peer exits when this closes
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the Python peer %s: %v", script, err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cancel() // kills the process if closing stdin did not end it
		_ = cmd.Wait()
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("Python peer stderr:\n%s", stderr.String())
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "PORT ") {
		t.Fatalf("Python peer %s did not print its port: %q, %v\n%s", script, line, err, stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return "http://127.0.0.1:" + strings.TrimSpace(strings.TrimPrefix(line, "PORT "))
}
