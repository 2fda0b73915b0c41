package mention

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hugo-pingback/hugo-pingback/linkurl"
	"github.com/hugo-pingback/hugo-pingback/site"
)

// DataSubdir is the directory, inside the Hugo site's data dir, that
// Export writes: hugo.Data.mentions in a template.
const DataSubdir = "mentions"

// StateFile is the file, inside DATA/mentions, where Export and the pulls
// keep what they need between runs: which files they wrote, the last
// snapshot of the receiver's approved mentions, and what was pulled from
// webmention.io with its since_id. Hugo skips files whose names begin with
// a dot in its data dir, so it is never site data (a file with another
// extension it does not know would fail the build).
const StateFile = ".hugo-pingback.json"

// ErrConflict means a data file Export would write exists but was not
// written by hugo-pingback; it is left as it is.
var ErrConflict = errors.New("data file exists and was not written by hugo-pingback")

// Lister gives mentions: a Store, or a Remote receiver.
type Lister interface {
	Mentions(ctx context.Context, f Filter) ([]Mention, error)
}

// ExportResult says what Export or a pull did to the data files. Paths are
// relative to DATA/mentions, slash-separated.
type ExportResult struct {
	Dir       string   // DATA/mentions
	Mentions  int      // entries in the data files
	Files     int      // data files (one per target page)
	Written   []string // files created or changed
	Removed   []string // files removed: their page has no approved mention left
	Unchanged int      // files whose bytes were already right
	Pulled    int      // entries a pull from webmention.io brought that were new or changed
	// Skipped lists targets that map to no data file (see FilePath).
	Skipped []string
	// Conflicts lists files left alone because hugo-pingback did not write
	// them (Export then returns ErrConflict).
	Conflicts []string
}

// exportState is the StateFile.
type exportState struct {
	Version  int        `json:"version"`
	Files    []string   `json:"files"`    // data files hugo-pingback wrote
	Receiver []JF2Entry `json:"receiver"` // the last Export or pull --server
	// Withheld are the mentions the receiver has but did not approve
	// (pending, spam, deleted), as "source target" keys: webmention.io's
	// copies of them are not shown either, so that the receiver's
	// moderation holds for both.
	Withheld     []string   `json:"withheld,omitempty"`
	WebmentionIO *wmioState `json:"webmention_io,omitempty"`
}

// withheldKey is the key of a mention in exportState.Withheld.
func withheldKey(source, target string) string {
	return linkurl.KeyOf(source) + " " + linkurl.KeyOf(target)
}

type wmioState struct {
	SinceID int64      `json:"since_id"`
	Entries []JF2Entry `json:"entries"`
}

// FilePath returns the data file, relative to DATA/mentions, that holds the
// mentions of target: the URL's path without its slashes, a trailing
// index.html or .html, plus ".json"; the home page is "_index.json".
//
//	https://blog.example.net/                    _index.json
//	https://blog.example.net/posts/hello-world/  posts/hello-world.json
//	https://blog.example.net/fr/posts/bonjour/   fr/posts/bonjour.json
//	https://blog.example.net/about.html          about.json
//
// A template finds a page's file from its RelPermalink the same way (see
// example-site/layouts/partials/mentions.html). The query and host are not
// part of it: pages on two hosts with one path share a file. ok is false
// for a target that cannot name a file Hugo would read (a path segment
// beginning with a dot, "..", a backslash).
func FilePath(target string) (string, bool) {
	u := linkurl.Parse(target)
	if u == nil {
		return "", false
	}
	p := strings.Trim(u.Path, "/")
	for _, suffix := range []string{"index.html", "index.htm"} {
		if strings.HasSuffix(p, "/"+suffix) || p == suffix {
			p = strings.Trim(strings.TrimSuffix(p, suffix), "/")
		}
	}
	if p == "" {
		return "_index.json", true
	}
	for _, ext := range []string{".html", ".htm"} {
		p = strings.TrimSuffix(p, ext)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || strings.HasPrefix(seg, ".") || strings.ContainsAny(seg, "\\\x00") {
			return "", false
		}
	}
	return p + ".json", true
}

// Export writes the approved mentions l gives into the Hugo site's data
// dir, as jf2 (JF2Feed), one file per target page (FilePath), and returns
// what it did. l is the local store for `mentions export`, or a Remote for
// `mentions pull --server`.
//
// The output is deterministic: entries sorted by wm-id, fixed formatting.
// A file whose bytes would not change is not written, so an unchanged store
// writes nothing. Files of pages that no longer have an approved mention are
// removed, but only files Export wrote (StateFile records them): a user's
// file in data/ is never changed or removed; Export reports it and returns
// ErrConflict after writing the others. Entries pulled from webmention.io
// (PullWebmentionIO) stay in the files beside the receiver's; a mention both
// know is written once, as the receiver has it. Files are written
// atomically.
func Export(ctx context.Context, l Lister, dataDir string) (*ExportResult, error) {
	ms, err := l.Mentions(ctx, Filter{States: []State{Approved}})
	if err != nil {
		return nil, err
	}
	entries := make([]JF2Entry, 0, len(ms))
	for i := range ms {
		if ms[i].State == Approved { // a Remote's server might not filter
			entries = append(entries, ms[i].JF2())
		}
	}
	others, err := l.Mentions(ctx, Filter{States: []State{Pending, Spam, Deleted}})
	if err != nil {
		return nil, err
	}
	var withheld []string
	for i := range others {
		if others[i].State != Approved {
			withheld = append(withheld, withheldKey(others[i].Source, others[i].Target))
		}
	}
	slices.Sort(withheld)
	withheld = slices.Compact(withheld)
	return syncData(dataDir, func(st *exportState) (int, error) {
		st.Receiver, st.Withheld = entries, withheld
		return 0, nil
	})
}

// syncData loads the state of DATA/mentions, lets update change it, then
// makes the data files match it.
func syncData(dataDir string, update func(*exportState) (int, error)) (*ExportResult, error) {
	dir := filepath.Join(dataDir, DataSubdir)
	statePath := filepath.Join(dir, StateFile)
	var st exportState
	oldState, err := os.ReadFile(statePath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		oldState = nil
	case err != nil:
		return nil, fmt.Errorf("read export state: %w", err)
	default:
		if err := json.Unmarshal(oldState, &st); err != nil {
			return nil, fmt.Errorf("read export state %s: %w (delete it to start over: the next export and pull rebuild it)", statePath, err)
		}
		if st.Version > 1 {
			return nil, fmt.Errorf("read export state %s: version %d was written by a newer hugo-pingback", statePath, st.Version)
		}
	}
	pulled, err := update(&st)
	if err != nil {
		return nil, err
	}
	st.Version = 1

	res := &ExportResult{Dir: dir, Pulled: pulled}
	files := render(&st, res)
	owned := make(map[string]bool, len(st.Files))
	for _, f := range st.Files {
		owned[f] = true
	}
	var written []string
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	// Claim the files about to be created before creating them: the state
	// lists every file of ours before it exists, so that one written by an
	// export killed before its state was saved is still ours to update or
	// remove (else it would stay on the site after its mention is marked
	// spam, and count as someone else's file).
	var claim []string
	for _, name := range names {
		if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(name))); errors.Is(err, fs.ErrNotExist) && !owned[name] {
			claim = append(claim, name)
		}
	}
	if len(claim) > 0 {
		claimed := st
		claimed.Files = slices.Sorted(slices.Values(append(slices.Clone(st.Files), claim...)))
		if err := writeState(dir, statePath, &claimed); err != nil {
			return res, err
		}
		for _, name := range claim {
			owned[name] = true
		}
		oldState = nil // the state on disk changed
	}
	for _, name := range names {
		data := files[name]
		p := filepath.Join(dir, filepath.FromSlash(name))
		old, err := os.ReadFile(p)
		switch {
		case err == nil && bytes.Equal(old, data):
			// Ours, or exactly what we would write (the state was lost).
			res.Unchanged++
			written = append(written, name)
			continue
		case err == nil && !owned[name]:
			res.Conflicts = append(res.Conflicts, name)
			continue
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return res, fmt.Errorf("export mentions: %w", err)
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return res, fmt.Errorf("export mentions: %w", err)
		}
		if err := site.WriteFileAtomic(p, data); err != nil {
			return res, fmt.Errorf("export mentions: %w", err)
		}
		res.Written = append(res.Written, name)
		written = append(written, name)
	}
	// Files written before whose page has no mention left.
	for _, name := range st.Files {
		if _, ok := files[name]; ok {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return res, fmt.Errorf("export mentions: %w", err)
		}
		res.Removed = append(res.Removed, name)
		removeEmptyDirs(dir, filepath.Dir(p))
	}
	st.Files = written
	res.Files = len(written)

	if err := writeStateIfChanged(dir, statePath, &st, oldState); err != nil {
		return res, err
	}
	if len(res.Conflicts) > 0 {
		var ps []string
		for _, c := range res.Conflicts {
			ps = append(ps, filepath.Join(dir, filepath.FromSlash(c)))
		}
		return res, fmt.Errorf("%w: %s (move or delete it, then export again)", ErrConflict, strings.Join(ps, ", "))
	}
	return res, nil
}

// writeState writes the export state, compact: it can hold every mention
// of the site, and nobody reads it.
func writeState(dir, statePath string, st *exportState) error {
	return writeStateIfChanged(dir, statePath, st, nil)
}

// writeStateIfChanged writes the export state unless its bytes are old.
func writeStateIfChanged(dir, statePath string, st *exportState, old []byte) error {
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if old != nil && bytes.Equal(old, data) {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("export mentions: %w", err)
	}
	if err := site.WriteFileAtomic(statePath, data); err != nil {
		return fmt.Errorf("write export state: %w", err)
	}
	return nil
}

// render returns the bytes of every data file the state implies.
func render(st *exportState, res *ExportResult) map[string][]byte {
	type pair struct{ source, target string }
	byFile := map[string][]JF2Entry{}
	seen := map[pair]bool{}
	add := func(e JF2Entry) {
		k := pair{linkurl.KeyOf(e.WMSource), linkurl.KeyOf(e.WMTarget)}
		if seen[k] {
			return
		}
		seen[k] = true
		name, ok := FilePath(e.WMTarget)
		if !ok {
			res.Skipped = append(res.Skipped, e.WMTarget)
			return
		}
		byFile[name] = append(byFile[name], e)
		res.Mentions++
	}
	// The receiver's version of a mention wins over webmention.io's.
	for _, e := range st.Receiver {
		add(e)
	}
	if st.WebmentionIO != nil {
		withheld := make(map[string]bool, len(st.Withheld))
		for _, k := range st.Withheld {
			withheld[k] = true
		}
		for _, e := range st.WebmentionIO.Entries {
			if !withheld[withheldKey(e.WMSource, e.WMTarget)] {
				add(e)
			}
		}
	}
	out := make(map[string][]byte, len(byFile))
	for name, es := range byFile {
		slices.SortFunc(es, func(a, b JF2Entry) int {
			if a.WMID != b.WMID {
				if a.WMID < b.WMID {
					return -1
				}
				return 1
			}
			return strings.Compare(a.WMSource, b.WMSource)
		})
		data, err := EncodeJF2(&JF2Feed{Type: "feed", Name: "Webmentions", Children: es})
		if err != nil {
			continue // a JF2Entry always encodes
		}
		out[name] = data
	}
	return out
}

// removeEmptyDirs removes d and its parents up to (not including) root
// while they are empty.
func removeEmptyDirs(root, d string) {
	for d != root && strings.HasPrefix(d, root) {
		if err := os.Remove(d); err != nil {
			return
		}
		d = filepath.Dir(d)
	}
}
