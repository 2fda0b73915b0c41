package scaffold

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hugo-pingback/hugo-pingback/config"
	"github.com/hugo-pingback/hugo-pingback/docs"
	"github.com/hugo-pingback/hugo-pingback/hugosite"
)

// writeSite writes files (slash paths) into a new temp dir.
func writeSite(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, text := range files {
		path := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// onlyInserted reports whether old is new with one contiguous run of bytes
// taken out: init inserted its block and changed nothing else.
func onlyInserted(old, new []byte) bool {
	if len(new) <= len(old) {
		return false
	}
	head := 0
	for head < len(old) && old[head] == new[head] {
		head++
	}
	tail := 0
	for tail < len(old)-head && old[len(old)-1-tail] == new[len(new)-1-tail] {
		tail++
	}
	return head+tail == len(old)
}

// hugoLoads checks the config with Hugo's own loader: it parses, and
// [params.pingback] is a table of known keys whose ledger is the default.
func hugoLoads(t *testing.T, dir string) {
	t.Helper()
	s, err := hugosite.Load(context.Background(), hugosite.Options{Dir: dir})
	if err != nil {
		t.Fatalf("Hugo cannot load the site after init: %v", err)
	}
	defer s.Close()
	cfg := config.Default()
	cfg.SiteDir = dir
	warnings, err := s.Apply(&cfg, config.All)
	if err != nil || len(warnings) > 0 {
		t.Fatalf("[params.pingback] after init: %v, warnings %v", err, warnings)
	}
	if want := filepath.Join(dir, config.DefaultLedger); cfg.Ledger != want && cfg.Ledger != config.DefaultLedger {
		t.Errorf("ledger %q, want the default", cfg.Ledger)
	}
}

func TestInitConfigFormats(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		file  string // the config init changes
		want  []string
	}{
		{
			// TOML with a [params] table: the block is appended as [params.pingback].
			name:  "toml",
			files: map[string]string{"hugo.toml": "baseURL = \"https://blog.example.net/\"\ntitle = \"T\"\n\n[params]\n  author = \"A\"\n"},
			file:  "hugo.toml",
			want:  []string{"\n[params.pingback]\n", "\n  ledger = \".hugo-pingback/ledger.db\"\n", "\n  # concurrency = 8\n", "\n  # protocols = [\"webmention\", \"pingback\"]\n", "\n  # timeout = \"10s\"\n"},
		},
		{
			// A TOML file without a final newline.
			name:  "toml no newline",
			files: map[string]string{"config.toml": "baseURL = \"https://blog.example.net/\""},
			file:  "config.toml",
			want:  []string{"baseURL = \"https://blog.example.net/\"\n\n# hugo-pingback:", "[params.pingback]"},
		},
		{
			// YAML with params indented by four: the block goes under params at that indentation.
			name:  "yaml params",
			files: map[string]string{"hugo.yaml": "baseURL: https://blog.example.net/\nparams:\n    author: A   # the author\n    mainSections: [posts]\ntitle: T\n"},
			file:  "hugo.yaml",
			want:  []string{"params:\n    # hugo-pingback:", "\n    pingback:\n", "\n        ledger: \".hugo-pingback/ledger.db\"\n", "\n        # concurrency: 8\n", "    author: A   # the author\n"},
		},
		{
			// YAML without params: a params mapping at the end.
			name:  "yaml no params",
			files: map[string]string{"hugo.yml": "baseURL: https://blog.example.net/\ntitle: T\n"},
			file:  "hugo.yml",
			want:  []string{"\nparams:\n  pingback:\n", "\n    ledger: \".hugo-pingback/ledger.db\"\n"},
		},
		{
			// YAML with an empty params key.
			name:  "yaml empty params",
			files: map[string]string{"hugo.yaml": "baseURL: https://blog.example.net/\nparams:\ntitle: T\n"},
			file:  "hugo.yaml",
			want:  []string{"params:\n  # hugo-pingback:", "\n  pingback:\n", "\ntitle: T\n"},
		},
		{
			// JSON with params: "pingback" becomes its first member, in the file's indentation.
			name:  "json params",
			files: map[string]string{"hugo.json": "{\n    \"baseURL\": \"https://blog.example.net/\",\n    \"params\": {\n        \"author\": \"A\"\n    }\n}\n"},
			file:  "hugo.json",
			want:  []string{"\"params\": {\n        \"pingback\": {\n            \"ledger\": \".hugo-pingback/ledger.db\"\n        },\n        \"author\": \"A\"\n    }"},
		},
		{
			// Minified JSON without params: a params member at the end.
			name:  "json no params",
			files: map[string]string{"hugo.json": `{"baseURL":"https://blog.example.net/","title":"T"}`},
			file:  "hugo.json",
			want:  []string{`"title":"T",` + "\n  \"params\": {\n    \"pingback\": {\n      \"ledger\""},
		},
		{
			// JSON with an empty params object.
			name:  "json empty params",
			files: map[string]string{"hugo.json": "{\n  \"baseURL\": \"https://blog.example.net/\",\n  \"params\": {}\n}\n"},
			file:  "hugo.json",
			want:  []string{"\"params\": {\n    \"pingback\": {\n      \"ledger\": \".hugo-pingback/ledger.db\"\n    }}"},
		},
		{
			// A config directory with a params file: its top level is params.
			name: "config dir params",
			files: map[string]string{
				"config/_default/hugo.toml":   "baseURL = \"https://blog.example.net/\"\n",
				"config/_default/params.toml": "author = \"A\"\n",
			},
			file: "config/_default/params.toml",
			want: []string{"\n[pingback]\n", "\n  ledger = \".hugo-pingback/ledger.db\"\n"},
		},
		{
			// A config directory with YAML and no params file.
			name:  "config dir yaml",
			files: map[string]string{"config/_default/hugo.yaml": "baseURL: https://blog.example.net/\n"},
			file:  "config/_default/hugo.yaml",
			want:  []string{"\nparams:\n  pingback:\n"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeSite(t, c.files)
			old := read(t, filepath.Join(dir, c.file))
			p, err := PlanInit(Options{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Changes) != 1 || p.Changes[0].Path != c.file {
				t.Fatalf("changes %+v, want one to %s; notes %q", p.Changes, c.file, p.Notes)
			}
			if err := p.Apply(); err != nil {
				t.Fatal(err)
			}
			got := read(t, filepath.Join(dir, c.file))
			if !onlyInserted([]byte(old), []byte(got)) {
				t.Errorf("init did more than insert a block:\n--- before\n%s\n--- after\n%s", old, got)
			}
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("config lacks %q:\n%s", w, got)
				}
			}
			// Every key of the settings table is in the block (JSON: in the note).
			text := got + strings.Join(p.Notes, "\n")
			for _, s := range config.Settings {
				if k := s.Key; k != "" && !strings.Contains(text, k[strings.LastIndex(k, ".")+1:]) {
					t.Errorf("the block lacks the key %s", k)
				}
			}
			hugoLoads(t, dir)

			// Idempotent: a second run changes nothing and says why.
			again, err := PlanInit(Options{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			if len(again.Changes) != 0 || len(again.Notes) != 1 || !strings.Contains(again.Notes[0], "already has") {
				t.Errorf("second run: changes %+v notes %q", again.Changes, again.Notes)
			}
		})
	}
}

// TestInitLeavesAwkwardConfigs: where a block cannot be inserted without
// rewriting the file (an inline params table, a flow mapping), the file is
// left alone and the block is given to add by hand.
func TestInitLeavesAwkwardConfigs(t *testing.T) {
	for _, c := range []struct{ name, file, text string }{
		// A TOML inline table cannot be extended by a [params.pingback] table.
		{"toml inline params", "hugo.toml", "baseURL = \"https://blog.example.net/\"\nparams = { author = \"A\" }\n"},
		// A YAML flow mapping.
		{"yaml flow params", "hugo.yaml", "baseURL: https://blog.example.net/\nparams: {author: A}\n"},
		// JSON whose params is not an object.
		{"json params string", "hugo.json", `{"params": "x"}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := writeSite(t, map[string]string{c.file: c.text})
			p, err := PlanInit(Options{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Changes) != 0 || len(p.Notes) != 1 || !strings.Contains(p.Notes[0], "left as it is") || !strings.Contains(p.Notes[0], "pingback") {
				t.Errorf("changes %+v notes %q", p.Changes, p.Notes)
			}
		})
	}
}

// TestInitCI writes each recipe on a site without them, then never
// overwrites: a changed workflow stays as the user has it.
func TestInitCI(t *testing.T) {
	dir := writeSite(t, map[string]string{"hugo.toml": "baseURL = \"https://blog.example.net/\"\n"})
	p, err := PlanInit(Options{Dir: dir, GitHub: true, GitLab: true, Netlify: true, Version: "v1.4.2"})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Apply(); err != nil {
		t.Fatal(err)
	}
	for dest, src := range map[string]string{
		".github/workflows/pages.yml":           "ci/github/github-pages.yml",
		".github/workflows/linkbacks-retry.yml": "ci/github/scheduled-retry.yml",
	} {
		want, _ := fs.ReadFile(docs.CI, src)
		if got := read(t, filepath.Join(dir, dest)); got != string(want) {
			t.Errorf("%s is not the README's recipe %s", dest, src)
		}
	}
	gitlab := read(t, filepath.Join(dir, ".gitlab-ci.yml"))
	if !strings.Contains(gitlab, `HUGO_PINGBACK_VERSION: "1.4.2"`) {
		t.Errorf(".gitlab-ci.yml does not pin the running release 1.4.2:\n%s", gitlab)
	}
	if n := read(t, filepath.Join(dir, "netlify.toml")); !strings.Contains(n, `package = "netlify-plugin-hugo-pingback"`) || !strings.Contains(n, `publish = "public"`) {
		t.Errorf("netlify.toml:\n%s", n)
	}

	// The user edits a workflow; init leaves it and prints the recipe instead.
	edited := filepath.Join(dir, ".github/workflows/pages.yml")
	if err := os.WriteFile(edited, []byte("# mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err = PlanInit(Options{Dir: dir, GitHub: true, GitLab: true, Netlify: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Changes) != 0 {
		t.Errorf("second run changes %+v", p.Changes)
	}
	notes := strings.Join(p.Notes, "\n")
	if !strings.Contains(notes, ".github/workflows/pages.yml exists and was left as it is") || !strings.Contains(notes, "actions/deploy-pages") {
		t.Errorf("notes do not print the recipe for the edited workflow:\n%s", notes)
	}
	if read(t, edited) != "# mine\n" {
		t.Error("the edited workflow was overwritten")
	}
}

// CI files go at the root of the git repository, where GitHub and GitLab
// read them: init refuses --github and --gitlab for a site in a
// subdirectory of one (the files would be written where nothing reads
// them), and says what to do; the repository's root and a site outside
// any repository get them; --netlify alone is fine anywhere.
func TestInitCIAtRepoRoot(t *testing.T) {
	repo := writeSite(t, map[string]string{"blog/hugo.toml": "baseURL = \"https://blog.example.net/\"\n", "hugo.toml": "baseURL = \"https://blog.example.net/\"\n"})
	if err := os.Mkdir(filepath.Join(repo, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	blog := filepath.Join(repo, "blog")
	for _, o := range []Options{{Dir: blog, GitHub: true}, {Dir: blog, GitLab: true}} {
		if _, err := PlanInit(o); !errors.Is(err, ErrNotRepoRoot) || !strings.Contains(err.Error(), "site: blog") {
			t.Errorf("%+v: %v, want ErrNotRepoRoot saying site: blog", o, err)
		}
	}
	if _, err := PlanInit(Options{Dir: blog, Netlify: true}); err != nil {
		t.Errorf("--netlify in a subdirectory: %v", err)
	}
	if _, err := PlanInit(Options{Dir: repo, GitHub: true, GitLab: true}); err != nil {
		t.Errorf("at the repository's root: %v", err)
	}
}

// TestInitNetlifyToml appends the plugin entry to a netlify.toml that has
// other plugins, and leaves one that has it alone.
func TestInitNetlifyToml(t *testing.T) {
	other := "[build]\n  command = \"hugo\"\n  publish = \"public\"\n\n[[plugins]]\n  package = \"@netlify/plugin-lighthouse\"\n"
	dir := writeSite(t, map[string]string{"hugo.toml": "baseURL = \"https://blog.example.net/\"\n[params.pingback]\n", "netlify.toml": other})
	p, err := PlanInit(Options{Dir: dir, Netlify: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Apply(); err != nil {
		t.Fatal(err)
	}
	got := read(t, filepath.Join(dir, "netlify.toml"))
	if !strings.HasPrefix(got, other+"\n[[plugins]]\n  package = \"netlify-plugin-hugo-pingback\"\n") {
		t.Errorf("netlify.toml:\n%s", got)
	}
	p, err = PlanInit(Options{Dir: dir, Netlify: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Changes) != 0 || !strings.Contains(strings.Join(p.Notes, "\n"), "already has the netlify-plugin-hugo-pingback plugin") {
		t.Errorf("second run: %+v %q", p.Changes, p.Notes)
	}
}

// TestApplyNeverOverwrites: a file that changed or appeared between the
// plan and the write is not touched.
func TestApplyNeverOverwrites(t *testing.T) {
	dir := writeSite(t, map[string]string{"hugo.toml": "baseURL = \"https://blog.example.net/\"\n"})
	p, err := PlanInit(Options{Dir: dir, GitLab: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".gitlab-ci.yml"), []byte("# appeared\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "hugo.toml"), []byte("# edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := p.Apply(); !errors.Is(err, ErrChanged) {
		t.Errorf("Apply: %v, want ErrChanged", err)
	}
	if read(t, filepath.Join(dir, ".gitlab-ci.yml")) != "# appeared\n" || read(t, filepath.Join(dir, "hugo.toml")) != "# edited\n" {
		t.Error("a file was overwritten")
	}
}

func TestInitNoConfig(t *testing.T) {
	if _, err := PlanInit(Options{Dir: t.TempDir()}); !errors.Is(err, ErrNoConfig) {
		t.Errorf("got %v, want ErrNoConfig", err)
	}
}

// TestDiffApplies checks the dry run's diffs with an independent reader of
// unified diffs, git apply: on a copy of the site they make the same files
// as Apply.
func TestDiffApplies(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git is not installed")
	}
	files := map[string]string{
		"hugo.yaml":    "baseURL: https://blog.example.net/\nparams:\n  author: A\ntitle: T",
		"netlify.toml": "[build]\n  publish = \"public\"\n",
	}
	applied, patched := writeSite(t, files), writeSite(t, files)
	p, err := PlanInit(Options{Dir: applied, GitHub: true, Netlify: true})
	if err != nil {
		t.Fatal(err)
	}
	var diff bytes.Buffer
	for _, c := range p.Changes {
		diff.WriteString(c.Diff())
	}
	if err := p.Apply(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(git, "apply", "-p1", "-")
	cmd.Dir = patched
	cmd.Stdin = &diff
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git apply: %v\n%s\n%s", err, out, diff.String())
	}
	for _, c := range p.Changes {
		if a, b := read(t, filepath.Join(applied, c.Path)), read(t, filepath.Join(patched, c.Path)); a != b {
			t.Errorf("%s: the diff makes\n%s\nApply wrote\n%s", c.Path, b, a)
		}
	}
}
