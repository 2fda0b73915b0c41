package receiver

import (
	"bufio"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/hugo-pingback/hugo-pingback/internal/testenv"

	"github.com/hugo-pingback/hugo-pingback/internal/peertest"
)

// The independent peer: Python's xmlrpc.client sends pingbacks to the
// receiver and sees its answers, faults included, as xmlrpc.client.Fault
// with the right code.
func TestPythonPeerPingback(t *testing.T) {
	python := testenv.Program(t, "the independent XML-RPC peer", "python3")
	r := newRig(t, noLimits)
	hello := target("posts/hello/")
	good := r.src.set("/good", 200, linking("A post with a link", hello))
	nolink := r.src.set("/nolink", 200, "<html><title>x</title><body>no link</body></html>")
	script := peertest.Script(t, "pingback_client.py")

	out, err := exec.Command(python, script, r.http.URL+"/xmlrpc", "listMethods").Output()
	if err != nil {
		t.Fatalf("listMethods: %v", err)
	}
	var methods struct{ OK []string }
	if json.Unmarshal(out, &methods) != nil || strings.Join(methods.OK, ",") != "pingback.ping,system.listMethods" {
		t.Fatalf("listMethods: %s", out)
	}

	calls := []struct {
		source, target string
		fault          int // 0: a success string
	}{
		{good, hello, 0},                        // registered
		{good, hello, 48},                       // already registered
		{nolink, hello, 17},                     // no link
		{r.src.srv.URL + "/missing", hello, 16}, // source missing
		{good, target("posts/nope/"), 32},       // no such target
		{good, target("posts/closed/"), 33},     // closed target
		{"https://spam.example/x", hello, 49},   // blocked host
	}
	if err := r.store.Block(t.Context(), "spam.example"); err != nil {
		t.Fatal(err)
	}
	args := []string{script, r.http.URL + "/xmlrpc", "ping"}
	for _, c := range calls {
		args = append(args, c.source, c.target)
	}
	out, err = exec.Command(python, args...).Output()
	if err != nil {
		t.Fatalf("python client: %v", err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for i, c := range calls {
		if !sc.Scan() {
			t.Fatalf("call %d: no answer line in %s", i, out)
		}
		var ans struct {
			OK      *string
			Fault   int
			Message string
		}
		if err := json.Unmarshal(sc.Bytes(), &ans); err != nil {
			t.Fatalf("call %d: %s", i, sc.Text())
		}
		switch {
		case c.fault == 0 && (ans.OK == nil || !strings.Contains(*ans.OK, "registered")):
			t.Errorf("call %d (%s): %s, want a success", i, c.source, sc.Text())
		case c.fault != 0 && ans.Fault != c.fault:
			t.Errorf("call %d (%s -> %s): %s, want xmlrpc.client.Fault %d", i, c.source, c.target, sc.Text(), c.fault)
		}
	}
}
