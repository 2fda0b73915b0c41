package sender

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/hugo-pingback/hugo-pingback/config"
	"github.com/hugo-pingback/hugo-pingback/site"
)

// PagesFile is the name, beside the ledger, of the page data that
// `hugo-pingback build` records for `send`.
const PagesFile = "pages.json"

type pagesFile struct {
	Version int        `json:"version"`
	Written time.Time  `json:"written"`
	Build   BuildInfo  `json:"build"`
	Pages   []PageInfo `json:"pages"`
}

// BuildInfo says what build the page data belongs to, so that a preview's
// pages (drafts, another environment or publish dir) never feed a real send.
type BuildInfo struct {
	Environment string   `json:"environment"`
	Drafts      bool     `json:"drafts"`
	Dirs        []string `json:"dirs"` // absolute publish dirs
}

// SavePages writes the Hugo site's page data for a later send, atomically.
func SavePages(path string, info BuildInfo, pages map[string]PageInfo) error {
	pf := pagesFile{Version: 1, Written: time.Now().UTC(), Build: info}
	for _, p := range pages {
		pf.Pages = append(pf.Pages, p)
	}
	sort.Slice(pf.Pages, func(i, j int) bool { return pf.Pages[i].URL < pf.Pages[j].URL })
	data, err := json.MarshalIndent(pf, "", " ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("save pages %s: %w", path, err)
	}
	if err := site.WriteFileAtomic(path, data); err != nil {
		return fmt.Errorf("save pages %s: %w", path, err)
	}
	return nil
}

// LoadPages reads the page data SavePages wrote, if it belongs to this
// send: a build without drafts, for the same environment, into the same
// publish dirs, and still fresh (no HTML file under roots newer than it: a
// later plain `hugo` build makes it stale). It returns nil, nil otherwise.
func LoadPages(path string, roots []config.Root, environment string) (map[string]PageInfo, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read pages %s: %w", path, err)
	}
	var pf pagesFile
	if err := json.Unmarshal(data, &pf); err != nil || pf.Version != 1 {
		return nil, fmt.Errorf("read pages %s: not a hugo-pingback pages file", path)
	}
	if pf.Build.Drafts || pf.Build.Environment != environment || !sameDirs(pf.Build.Dirs, roots) {
		return nil, nil
	}
	written := fi.ModTime()
	stale := false
	for _, r := range roots {
		err := site.Walk(r, func(f site.File) error {
			if st, err := os.Stat(f.Path); err == nil && st.ModTime().After(written) {
				stale = true
				return filepath.SkipAll
			}
			return nil
		})
		if err != nil && err != filepath.SkipAll {
			return nil, err
		}
	}
	if stale {
		return nil, nil
	}
	m := make(map[string]PageInfo, len(pf.Pages))
	for _, p := range pf.Pages {
		if p.Links == nil {
			p.Links = []string{}
		}
		m[p.URL] = p
	}
	return m, nil
}

// AbsDirs returns the absolute publish dirs of roots, for BuildInfo.
func AbsDirs(roots []config.Root) []string {
	var dirs []string
	for _, r := range roots {
		if abs, err := filepath.Abs(r.Dir); err == nil {
			dirs = append(dirs, abs)
		}
	}
	sort.Strings(dirs)
	return dirs
}

func sameDirs(dirs []string, roots []config.Root) bool {
	want := AbsDirs(roots)
	if len(dirs) != len(want) {
		return false
	}
	for i := range dirs {
		if dirs[i] != want[i] {
			return false
		}
	}
	return true
}
