package releasetest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hugo-pingback/hugo-pingback/internal/testenv"

	"go.yaml.in/yaml/v3"
)

// actionMeta is the part of action.yml that becomes a workflow for actionlint.
type actionMeta struct {
	Inputs map[string]struct {
		Default string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Value string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string           `yaml:"using"`
		Steps []map[string]any `yaml:"steps"`
	} `yaml:"runs"`
}

// actionAsWorkflow rewrites the composite action as a reusable workflow with
// the same inputs, one job running the same steps and the same outputs:
// actionlint reads workflows only, and this way checks the action's
// expressions (inputs, steps' outputs, contexts, functions in if:), the
// inputs it gives actions/cache/restore and save, and its run: lines.
func actionAsWorkflow(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a actionMeta
	if err := yaml.Unmarshal(data, &a); err != nil {
		t.Fatalf("parse action.yml: %v", err)
	}
	if a.Runs.Using != "composite" {
		t.Fatalf("action.yml runs using %q, want composite", a.Runs.Using)
	}
	inputs, jobOutputs, callOutputs := map[string]any{}, map[string]any{}, map[string]any{}
	for name, in := range a.Inputs {
		inputs[name] = map[string]any{"type": "string", "required": false, "default": in.Default}
	}
	for name, out := range a.Outputs {
		jobOutputs[name] = out.Value
		callOutputs[name] = map[string]any{"value": "${{ jobs.action.outputs." + name + " }}"}
	}
	wf := map[string]any{
		"name": "action.yml as a workflow",
		"on":   map[string]any{"workflow_call": map[string]any{"inputs": inputs, "outputs": callOutputs}},
		"jobs": map[string]any{"action": map[string]any{"runs-on": "ubuntu-latest", "outputs": jobOutputs, "steps": a.Runs.Steps}},
	}
	out, err := yaml.Marshal(wf)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestActionlint lints action.yml (as a workflow), the repository's
// workflows and the README's recipes with actionlint, which also runs
// shellcheck on every run: script when shellcheck is installed. ACTIONLINT
// names the binary; .ci/run installs it.
func TestActionlint(t *testing.T) {
	bin := os.Getenv("ACTIONLINT")
	if bin == "" {
		testenv.Missing(t, "ACTIONLINT is not set: go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12 and point it at the binary")
	}
	dir := t.TempDir()
	converted := filepath.Join(dir, "action.yml")
	if err := os.WriteFile(converted, actionAsWorkflow(t), 0o644); err != nil {
		t.Fatal(err)
	}
	files := []string{converted}
	for _, glob := range []string{".github/workflows/*.yml", "docs/ci/github/*.yml"} {
		m, err := filepath.Glob(filepath.Join(root, glob))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 6 {
		t.Fatalf("only %d files to lint: %v", len(files), files)
	}
	cmd := exec.Command(bin, append([]string{"-no-color"}, files...)...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("actionlint: %v\n%s", err, strings.ReplaceAll(string(out), converted, "action.yml (as a workflow)"))
	}
}
