package docs

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// recipes returns every embedded recipe by path.
func recipes(t *testing.T) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := fs.WalkDir(CI, "ci", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(CI, p)
		m[p] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(m) < 5 {
		t.Fatalf("%d recipes embedded, want the 4 GitHub workflows and the GitLab file", len(m))
	}
	return m
}

// TestREADMEShowsEveryRecipe keeps the README's CI section and the files
// identical: each recipe appears there verbatim as a yaml block.
func TestREADMEShowsEveryRecipe(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for p, text := range recipes(t) {
		if !strings.Contains(string(readme), "```yaml\n"+text+"```\n") {
			t.Errorf("README.md does not show %s verbatim in a ```yaml block", filepath.Join("docs", p))
		}
	}
}

// TestRecipesShareOneGroup: every GitHub workflow that sends runs in one
// concurrency group, so two runs (a deploy and the daily retry) never use
// the ledger at once: both would send what is due, and the last to save
// its ledger would lose the other's records.
func TestRecipesShareOneGroup(t *testing.T) {
	groups := map[string]bool{}
	for p, text := range recipes(t) {
		if !strings.HasPrefix(p, "ci/github/") {
			continue
		}
		var doc struct {
			Concurrency struct{ Group string } `yaml:"concurrency"`
		}
		if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Concurrency.Group == "" {
			t.Errorf("%s has no concurrency group", p)
		}
		groups[doc.Concurrency.Group] = true
	}
	if len(groups) != 1 {
		t.Errorf("the workflows use %d concurrency groups, want one: %v", len(groups), groups)
	}
}

// TestRecipesShape parses each recipe and checks the pieces every one must
// have: the ledger kept when a job fails, send after the deploy, and no
// compile step.
func TestRecipesShape(t *testing.T) {
	for p, text := range recipes(t) {
		var doc map[string]any
		if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if strings.Contains(text, "go run") || strings.Contains(text, "go install") {
			t.Errorf("%s compiles hugo-pingback; recipes use release binaries", p)
		}
		if !strings.Contains(text, "send") {
			t.Errorf("%s never sends", p)
		}
		switch {
		case strings.HasPrefix(p, "ci/github/"):
			if _, ok := doc["on"]; !ok {
				t.Errorf("%s: no on: trigger", p)
			}
			if !strings.Contains(text, "uses: hugo-pingback/hugo-pingback@v1") {
				t.Errorf("%s does not use the Action", p)
			}
			// The send step keeps the Action's ledger cache on.
			if i := strings.LastIndex(text, "command: send"); i < 0 || strings.Contains(text[i:], "ledger-cache: false") {
				t.Errorf("%s: the send step must keep ledger-cache on", p)
			}
		case p == "ci/gitlab/gitlab-ci.yml":
			for _, want := range []string{"when: always", "paths: [.hugo-pingback/]", "sha256sum -c", "dotenv: linkbacks.env", "--outputs linkbacks.env", "resource_group: linkbacks", "GIT_SUBMODULE_STRATEGY: recursive"} {
				if !strings.Contains(text, want) {
					t.Errorf("%s lacks %q", p, want)
				}
			}
		default:
			t.Errorf("unexpected recipe %s", p)
		}
	}
}
