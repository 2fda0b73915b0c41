// Package scaffold sets a Hugo site up for hugo-pingback: `hugo-pingback
// init`. It plans every change first (a commented [params.pingback] block in
// the site's config, in TOML, YAML or JSON; a CI workflow, a netlify.toml
// plugin entry or a .gitlab-ci.yml), so that a dry run can show the plan as
// a diff, and then applies it.
//
// It owns the text it adds: the block is derived from config.Settings, the
// CI files are the README's recipes (package docs). It never overwrites a
// file, never reformats the rest of a config (it inserts bytes, it does not
// parse and re-render), never asks a question, and makes no request.
package scaffold

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"go.yaml.in/yaml/v3"

	"github.com/hugo-pingback/hugo-pingback/docs"
	"github.com/hugo-pingback/hugo-pingback/site"
)

// ErrNoConfig is returned when the directory has no Hugo config to add the
// settings to.
var ErrNoConfig = errors.New("no Hugo config (hugo.toml, hugo.yaml, hugo.json, config.*, config/_default/)")

// ErrChanged is returned by Apply when a file changed between the plan and
// the write, or a file it was to create appeared: nothing is overwritten.
var ErrChanged = errors.New("changed since the plan")

// Options say what init sets up besides the settings block.
type Options struct {
	// Dir is the Hugo site; "" means the current directory.
	Dir string
	// GitHub adds the GitHub Pages workflow and the daily retry.
	GitHub bool
	// Netlify adds the Netlify build plugin to netlify.toml.
	Netlify bool
	// GitLab adds .gitlab-ci.yml.
	GitLab bool
	// Version, when it is a release version (v1.2.3), is pinned in the
	// recipes that name one (GitLab's download); else the recipe's stays.
	Version string
}

// Change is one file init writes: a new file (Old nil) or a config with a
// block inserted.
type Change struct {
	Path string // relative to the site, slash-separated
	Old  []byte // nil: the file does not exist yet
	New  []byte
	What string // what the change is, for the report: "added [params.pingback]"
}

// Plan is what init would do.
type Plan struct {
	Dir     string
	Changes []Change
	// Notes say what init left alone and why, with what to add by hand.
	Notes []string
}

// recipes are the files each option writes, from package docs.
var recipes = []struct {
	opt  func(Options) bool
	src  string // in docs.CI
	dest string
	what string
}{
	{func(o Options) bool { return o.GitHub }, "ci/github/github-pages.yml", ".github/workflows/pages.yml", "GitHub Pages workflow: build, deploy, send"},
	{func(o Options) bool { return o.GitHub }, "ci/github/scheduled-retry.yml", ".github/workflows/linkbacks-retry.yml", "daily retry of deferred and failed-for-now notifications"},
	{func(o Options) bool { return o.GitLab }, "ci/gitlab/gitlab-ci.yml", ".gitlab-ci.yml", "GitLab CI: build, Pages deploy, send"},
}

// netlifyPlugin is the netlify.toml entry of the Netlify build plugin.
const netlifyPlugin = `[[plugins]]
  package = "netlify-plugin-hugo-pingback"
  # [plugins.inputs]               # all optional, see the plugin's README
  # args = ["--no-self-ping"]
`

// netlifyNew is a whole netlify.toml for a site that has none.
const netlifyNew = `# netlify.toml
[build]
  command = "hugo --gc --minify"   # your usual Hugo build
  publish = "public"               # Hugo's publishDir

` + netlifyPlugin

// PlanInit works out what init does in opts.Dir, reading files but writing none.
func PlanInit(opts Options) (*Plan, error) {
	dir := opts.Dir
	if dir == "" {
		dir = "."
	}
	p := &Plan{Dir: dir}

	cf, err := findConfig(dir)
	if err != nil {
		return nil, err
	}
	block, note, err := settingsChange(dir, cf)
	if err != nil {
		return nil, err
	}
	if block != nil {
		p.Changes = append(p.Changes, *block)
	}
	if note != "" {
		p.Notes = append(p.Notes, note)
	}

	if opts.GitHub || opts.GitLab {
		if err := checkRepoRoot(dir); err != nil {
			return nil, err
		}
	}
	for _, r := range recipes {
		if !r.opt(opts) {
			continue
		}
		text, err := fs.ReadFile(docs.CI, r.src)
		if err != nil {
			return nil, err
		}
		text = pinVersion(text, opts.Version)
		existing, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(r.dest)))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			p.Changes = append(p.Changes, Change{Path: r.dest, New: text, What: "wrote " + r.dest + " (" + r.what + ")"})
		case err != nil:
			return nil, fmt.Errorf("read %s: %w", r.dest, err)
		case bytes.Equal(existing, text):
			p.Notes = append(p.Notes, fmt.Sprintf("%s is already the %s", r.dest, r.what))
		default:
			p.Notes = append(p.Notes, fmt.Sprintf("%s exists and was left as it is; the %s (the README's recipe) is:\n\n%s", r.dest, r.what, indent(string(text))))
		}
	}

	if opts.Netlify {
		c, note, err := netlifyChange(dir)
		if err != nil {
			return nil, err
		}
		if c != nil {
			p.Changes = append(p.Changes, *c)
		}
		p.Notes = append(p.Notes, note)
	}
	return p, nil
}

// ErrNotRepoRoot is returned by PlanInit for --github or --gitlab in a
// site that is not the root of its git repository.
var ErrNotRepoRoot = errors.New("is not the root of its git repository")

// checkRepoRoot refuses a site dir inside a git repository that is not its
// root: GitHub and GitLab read their CI files at the root only, and the
// recipes build the site there.
func checkRepoRoot(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	for d := abs; ; {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			if d == abs {
				return nil
			}
			return fmt.Errorf("site %s %w (%s), where GitHub and GitLab read CI files: run init there for a site at the root, or copy the README's recipe into %s and give the Action site: %s (and Hugo's publish dir under it)",
				dir, ErrNotRepoRoot, d, d, filepath.ToSlash(mustRel(d, abs)))
		}
		parent := filepath.Dir(d)
		if parent == d {
			return nil // not in a repository: the files are written here
		}
		d = parent
	}
}

func mustRel(base, target string) string {
	if r, err := filepath.Rel(base, target); err == nil {
		return r
	}
	return target
}

// netlifyChange adds the plugin to netlify.toml: a new file, or the entry
// appended to one that has no entry for the plugin yet.
func netlifyChange(dir string) (*Change, string, error) {
	const name = "netlify.toml"
	const install = "add the plugin to package.json too: npm install --save-dev netlify-plugin-hugo-pingback"
	old, err := os.ReadFile(filepath.Join(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return &Change{Path: name, New: []byte(netlifyNew), What: "wrote netlify.toml (the Netlify build plugin)"}, install, nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("read %s: %w", name, err)
	}
	var doc struct {
		Plugins []struct {
			Package string `toml:"package"`
		} `toml:"plugins"`
	}
	if err := toml.Unmarshal(old, &doc); err != nil {
		return nil, "", fmt.Errorf("read %s: %w", name, err)
	}
	for _, pl := range doc.Plugins {
		if pl.Package == "netlify-plugin-hugo-pingback" {
			return nil, "netlify.toml already has the netlify-plugin-hugo-pingback plugin", nil
		}
	}
	return &Change{Path: name, Old: old, New: appendBlock(old, netlifyPlugin), What: "added the Netlify build plugin to netlify.toml"}, install, nil
}

// pinVersion replaces the release a recipe names with version, when that is
// a release (not a dev build).
func pinVersion(text []byte, version string) []byte {
	v := strings.TrimPrefix(version, "v")
	if v == "" || v == version || strings.ContainsAny(v, "+") || !startsWithDigit(v) {
		return text
	}
	return bytes.ReplaceAll(text, []byte(`HUGO_PINGBACK_VERSION: "1.0.0"`), []byte(`HUGO_PINGBACK_VERSION: "`+v+`"`))
}

func startsWithDigit(s string) bool { return s != "" && s[0] >= '0' && s[0] <= '9' }

// appendBlock appends block to text after one blank line.
func appendBlock(text []byte, block string) []byte {
	out := bytes.Clone(text)
	if len(out) > 0 && !bytes.HasSuffix(out, []byte("\n")) {
		out = append(out, '\n')
	}
	if len(out) > 0 && !bytes.HasSuffix(out, []byte("\n\n")) {
		out = append(out, '\n')
	}
	return append(out, block...)
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ") + "\n"
}

// Apply writes the plan's changes: new files are created (never replacing
// one that appeared since the plan), changed files are replaced atomically
// only if they still hold what the plan read.
func (p *Plan) Apply() error {
	for _, c := range p.Changes {
		path := filepath.Join(p.Dir, filepath.FromSlash(c.Path))
		if c.Old == nil {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return fmt.Errorf("write %s: %w", c.Path, err)
			}
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("write %s: %w: the file appeared", c.Path, ErrChanged)
			}
			if err != nil {
				return fmt.Errorf("write %s: %w", c.Path, err)
			}
			_, err = f.Write(c.New)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("write %s: %w", c.Path, err)
			}
			continue
		}
		now, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("write %s: %w", c.Path, err)
		}
		if !bytes.Equal(now, c.Old) {
			return fmt.Errorf("write %s: %w", c.Path, ErrChanged)
		}
		if err := site.WriteFileAtomic(path, c.New); err != nil {
			return fmt.Errorf("write %s: %w", c.Path, err)
		}
	}
	return nil
}

// hasPingback reports whether a parsed config (or params file, when
// inParams) already has params.pingback.
func hasPingback(m map[string]any, inParams bool) bool {
	params := m
	if !inParams {
		var ok bool
		params, ok = lowerKey(m, "params").(map[string]any)
		if !ok {
			return false
		}
	}
	return lowerKey(params, "pingback") != nil
}

// lowerKey looks a key up the way Hugo does: case-insensitively.
func lowerKey(m map[string]any, key string) any {
	for k, v := range m {
		if strings.EqualFold(k, key) {
			if v == nil {
				return struct{}{} // present, empty
			}
			return v
		}
	}
	return nil
}

// parseConfig decodes a config file of format into a map, to see what it has.
func parseConfig(format string, data []byte) (map[string]any, error) {
	m := map[string]any{}
	var err error
	switch format {
	case "toml":
		err = toml.Unmarshal(data, &m)
	case "yaml":
		err = yaml.Unmarshal(data, &m)
	case "json":
		if len(bytes.TrimSpace(data)) > 0 {
			err = json.Unmarshal(data, &m)
		}
	}
	return m, err
}
