package mention

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as a helper process: with helperEnv set it runs
// the named helper instead of the tests.
const (
	helperEnv     = "HP_MENTION_HELPER"
	helperPathEnv = "HP_MENTION_PATH"
)

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "enqueue-forever":
		enqueueForever(os.Getenv(helperPathEnv))
	default:
		fmt.Fprintln(os.Stderr, "unknown helper", os.Getenv(helperEnv))
		os.Exit(2)
	}
}

// enqueueForever enqueues from several goroutines, as a receiver's handlers
// do, and prints each request's ID once Enqueue returned: the moment a
// receiver would answer 202.
func enqueueForever(path string) {
	s, err := Open(path, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	for w := range 8 {
		go func() {
			for i := 0; ; i++ {
				r := &Request{Source: fmt.Sprintf("https://src%d.example.org/%d", w, i), Target: "https://blog.example.net/posts/hello/", Protocol: Webmention}
				if err := s.Enqueue(ctx, r); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
				mu.Lock()
				fmt.Fprintln(out, r.ID)
				out.Flush() // the acknowledgement leaves the process now
				mu.Unlock()
			}
		}()
	}
	select {}
}

// TestSIGKILLLosesNoAcknowledgedRequest kills a process that enqueues in a
// loop at a random moment: every request it acknowledged must be in the
// store, and the store must open and check clean.
func TestSIGKILLLosesNoAcknowledgedRequest(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	for round := range 3 {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "mentions.db")
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), helperEnv+"=enqueue-forever", helperPathEnv+"="+path)
			cmd.Stderr = os.Stderr
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

			killAt := 50 + rand.IntN(1500)
			var acked []string
			lines := bufio.NewScanner(stdout)
			for len(acked) < killAt && lines.Scan() {
				acked = append(acked, lines.Text())
			}
			if len(acked) < killAt {
				t.Fatalf("helper stopped after %d acknowledgements: %v", len(acked), lines.Err())
			}
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			// What was printed before the kill was acknowledged too.
			for lines.Scan() {
				acked = append(acked, lines.Text())
			}
			err = cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("helper was not killed: %v", err)
			}

			s, err := Open(path, &Options{Timeout: time.Second})
			if err != nil {
				t.Fatalf("Open after SIGKILL: %v", err)
			}
			defer s.Close()
			if err := s.Check(); err != nil {
				t.Fatalf("Check after SIGKILL: %v", err)
			}
			q, err := s.Queued(ctx)
			if err != nil {
				t.Fatal(err)
			}
			stored := make(map[string]bool, len(q))
			for _, r := range q {
				stored[r.ID] = true
			}
			for _, id := range acked {
				if !stored[id] {
					t.Errorf("acknowledged request %s is not in the store", id)
				}
			}
			t.Logf("killed after %d acknowledgements; %d requests stored", len(acked), len(q))
			// The store takes writes again.
			if err := s.Enqueue(ctx, &Request{Source: "https://a.example/", Target: "https://b.example/"}); err != nil {
				t.Fatal(err)
			}
		})
	}
}
