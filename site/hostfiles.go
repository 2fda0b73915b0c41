package site

// The host configuration files. Netlify and Cloudflare Pages read `_headers`
// and `_redirects` from the publish directory; their formats, as documented
// by both hosts:
//
//	_headers:   a line with a URL pattern ("/*"), then indented "Name: value"
//	            lines; lines starting with # are comments; every rule whose
//	            pattern matches applies, values of one header are joined.
//	_redirects: one "source destination [status]" rule per line, # comments,
//	            the first matching rule wins.
//
// What hugo-pingback writes lives between the marker comments
// "# hugo-pingback: begin" and "# hugo-pingback: end"; everything outside
// them is the user's and is kept byte for byte. A block is replaced in place,
// so a user may move it; a block is added at the end of the file.

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hugo-pingback/hugo-pingback/config"
	"github.com/hugo-pingback/hugo-pingback/renderer"
)

const (
	beginMarker = "# hugo-pingback: begin"
	endMarker   = "# hugo-pingback: end"
	// tombstoneTarget is what a deleted page serves: the site's 404 page,
	// with status 410 Gone.
	tombstoneTarget = "/404.html"
)

// mergeHeaders returns existing (a `_headers` file, possibly empty) with a
// marked "/*" rule that sends `X-Pingback: PINGBACK` and
// `Link: <WEBMENTION>; rel="webmention"` with every response, and whether
// that changed anything. An older block (another receiver) is replaced; a
// second run changes nothing; the user's own rules are untouched. With no
// endpoint in tags the block is removed.
func mergeHeaders(existing []byte, tags renderer.Tags) ([]byte, bool) {
	var body []string
	if tags.Pingback != "" || tags.Webmention != "" {
		body = append(body, "/*")
		if tags.Pingback != "" {
			body = append(body, "  X-Pingback: "+oneLine(tags.Pingback))
		}
		if tags.Webmention != "" {
			body = append(body, `  Link: <`+oneLine(tags.Webmention)+`>; rel="webmention"`)
		}
	}
	return mergeBlock(existing, "(hugo-pingback inject --headers rewrites this block)", body, headersLine)
}

// conflictingHeaders returns the lines of a `_headers` file, outside the
// hugo-pingback block, that set X-Pingback or a webmention Link themselves:
// a host would merge their values with ours into one broken header.
func conflictingHeaders(existing []byte) []string {
	var out []string
	for _, l := range outsideBlock(existing, headersLine) {
		t := strings.TrimSpace(l)
		name, val, ok := strings.Cut(t, ":")
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "x-pingback":
			out = append(out, t)
		case "link":
			if strings.Contains(strings.ToLower(val), "webmention") {
				out = append(out, t)
			}
		}
	}
	return out
}

// mergeRedirects returns existing (a `_redirects` file, possibly empty) with
// a marked block answering 410 Gone, with the site's 404 page as the body,
// for every path in gone and every path the block already held, and
// whether that changed anything. Each rule reads "/old/post/ /404.html 410".
// Paths are URL paths ("/old/post/"); a full URL is cut to its path. A path
// that is already the source of one of the user's rules is left to that
// rule (a moved page's redirect must win over a tombstone). Rules are sorted,
// so a second run with the same set changes nothing.
//
// Netlify serves these rules. Without the "!" force flag a rule only
// applies when no file exists at the path, so a page that comes back is
// served again without editing the block. Cloudflare Pages documents only
// redirect codes (301, 302, 303, 307, 308) and 200 proxying, and ignores
// rules it cannot use: there the block is inert.
func mergeRedirects(existing []byte, gone []string) ([]byte, bool) {
	userSources := map[string]bool{}
	for _, l := range outsideBlock(existing, redirectsLine) {
		if f := strings.Fields(l); len(f) >= 2 && !strings.HasPrefix(f[0], "#") {
			userSources[f[0]] = true
		}
	}
	set := map[string]bool{}
	for _, l := range insideBlock(existing, redirectsLine) {
		f := strings.Fields(l)
		if len(f) == 3 && !strings.HasPrefix(f[0], "#") && f[2] == "410" {
			set[f[0]] = true
		}
	}
	for _, g := range gone {
		if p := gonePath(g); p != "" {
			set[p] = true
		}
	}
	var paths []string
	for p := range set {
		if !userSources[p] {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	var body []string
	for _, p := range paths {
		body = append(body, p+" "+tombstoneTarget+" 410")
	}
	return mergeBlock(existing, "(pages deleted since they were notified: 410 Gone)", body, redirectsLine)
}

// redirectsGone returns the paths a `_redirects` file's hugo-pingback block
// marks as gone, sorted.
func redirectsGone(existing []byte) []string {
	var out []string
	for _, l := range insideBlock(existing, redirectsLine) {
		f := strings.Fields(l)
		if len(f) == 3 && !strings.HasPrefix(f[0], "#") && f[2] == "410" {
			out = append(out, f[0])
		}
	}
	slices.Sort(out)
	return out
}

// gonePath normalises a deleted page's path or URL to an escaped absolute
// URL path, or "" when it cannot be one.
func gonePath(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil {
		// Not parseable as is (a stray '%'): escape it as a plain path.
		u = &url.URL{Path: s}
	}
	p := u.EscapedPath()
	if p == "" || strings.ContainsAny(p, " \t\r\n") {
		return ""
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return p
}

// oneLine keeps a value on one line of a host file.
func oneLine(s string) string {
	return strings.NewReplacer("\r", "", "\n", "").Replace(s)
}

// lineRule tells the lines hugo-pingback writes in a block of one file,
// used to end a block whose end marker was deleted.
type lineRule func(line string) bool

// headersLine: the "/*" pattern and indented header lines.
func headersLine(l string) bool {
	t := strings.TrimSpace(l)
	return t == "/*" || t != "" && (l[0] == ' ' || l[0] == '\t')
}

// redirectsLine: "PATH /404.html 410".
func redirectsLine(l string) bool {
	f := strings.Fields(l)
	return len(f) == 3 && f[1] == tombstoneTarget && f[2] == "410"
}

// block locates the first marked block in lines (each with its line
// ending) at or after from: [start, end) line indexes, or start = -1. A
// begin marker whose end marker is missing (a hand edit) ends after the
// last line of the form hugo-pingback writes, so the user's rules after it
// are never taken for ours.
func block(lines []string, from int, ours lineRule) (int, int) {
	for i := from; i < len(lines); i++ {
		if !strings.HasPrefix(strings.TrimSpace(lines[i]), beginMarker) {
			continue
		}
		for j := i + 1; j < len(lines); j++ {
			t := strings.TrimSpace(lines[j])
			if strings.HasPrefix(t, endMarker) {
				return i, j + 1
			}
			if strings.HasPrefix(t, beginMarker) {
				break // a new block starts: this one was never closed
			}
		}
		j := i + 1
		for j < len(lines) && ours(lines[j]) {
			j++
		}
		return i, j
	}
	return -1, -1
}

// splitLines splits b after each '\n', keeping the endings.
func splitLines(b []byte) []string {
	var lines []string
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			lines = append(lines, string(b))
			break
		}
		lines = append(lines, string(b[:i+1]))
		b = b[i+1:]
	}
	return lines
}

// outsideBlock returns the lines that are not in any marked block.
func outsideBlock(b []byte, ours lineRule) []string {
	lines := splitLines(b)
	var out []string
	pos := 0
	for {
		s, e := block(lines, pos, ours)
		if s < 0 {
			return append(out, lines[pos:]...)
		}
		out = append(out, lines[pos:s]...)
		pos = e
	}
}

// insideBlock returns the lines of every marked block, markers excluded.
func insideBlock(b []byte, ours lineRule) []string {
	lines := splitLines(b)
	var out []string
	for pos := 0; ; {
		s, e := block(lines, pos, ours)
		if s < 0 {
			return out
		}
		for _, l := range lines[s+1 : e] {
			if !strings.HasPrefix(strings.TrimSpace(l), endMarker) {
				out = append(out, l)
			}
		}
		pos = e
	}
}

// mergeBlock puts body (lines without endings) between the markers: in
// place of the first block, later blocks removed, or appended at the end
// after a blank line. An empty body removes the blocks.
func mergeBlock(existing []byte, note string, body []string, ours lineRule) ([]byte, bool) {
	lines := splitLines(existing)
	// Line endings follow our existing block, else the file; deciding from
	// the block keeps a second run from flipping them.
	eol := "\n"
	if s, _ := block(lines, 0, ours); s >= 0 && strings.HasSuffix(lines[s], "\n") {
		if strings.HasSuffix(lines[s], "\r\n") {
			eol = "\r\n"
		}
	} else if bytes.Contains(existing, []byte("\r\n")) {
		eol = "\r\n"
	}
	var blk strings.Builder
	if len(body) > 0 {
		blk.WriteString(beginMarker + " " + note + eol)
		for _, l := range body {
			blk.WriteString(l + eol)
		}
		blk.WriteString(endMarker + eol)
	}

	var out strings.Builder
	placed := false
	pos := 0
	for {
		s, e := block(lines, pos, ours)
		if s < 0 {
			break
		}
		for _, l := range lines[pos:s] {
			out.WriteString(l)
		}
		if !placed {
			out.WriteString(blk.String())
			placed = true
		}
		pos = e
	}
	for _, l := range lines[pos:] {
		out.WriteString(l)
	}
	if !placed && blk.Len() > 0 {
		s := out.String()
		if s != "" && !strings.HasSuffix(s, "\n") {
			out.WriteString(eol)
			s += eol
		}
		if s != "" && !strings.HasSuffix(s, eol+eol) && s != eol {
			out.WriteString(eol)
		}
		out.WriteString(blk.String())
	}
	if out.String() == string(existing) {
		return existing, false
	}
	return []byte(out.String()), true
}

// hostRoots maps each root to the root whose directory holds the host
// files (`_headers`, `_redirects`) for it: the outermost root that contains
// its directory and is served from the same scheme and host. Hosts read
// these files only at the top of a deploy, so a language published under
// /fr/ of the same site shares the top directory's files.
func hostRoots(roots []config.Root) []int {
	type info struct {
		dir    string
		origin string
	}
	infos := make([]info, len(roots))
	for i, r := range roots {
		d, err := cleanRoot(r.Dir)
		if err != nil {
			d = filepath.Clean(r.Dir)
		}
		origin := ""
		if u, err := url.Parse(r.BaseURL); err == nil {
			origin = u.Scheme + "://" + u.Host
		}
		infos[i] = info{d, origin}
	}
	out := make([]int, len(roots))
	for i := range roots {
		out[i] = i
		for j := range roots {
			in, oj := infos[i], infos[j]
			if j == i || oj.origin != in.origin {
				continue
			}
			rel, err := filepath.Rel(oj.dir, in.dir)
			if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				continue
			}
			if rel == "." && j > i {
				continue // the same directory twice: the first root owns it
			}
			// j contains i: prefer the outermost such root.
			if cur := infos[out[i]]; out[i] == i || len(oj.dir) < len(cur.dir) {
				out[i] = j
			}
		}
	}
	return out
}

// HostFiles is what WriteHostFiles merges into the host configuration files
// of a deploy.
type HostFiles struct {
	// Headers merges Tags into _headers as a "/*" rule with X-Pingback and
	// Link headers.
	Headers bool
	Tags    renderer.Tags
	// Gone are the absolute URLs of pages deleted since they were notified:
	// each gets a 410 rule in _redirects (see mergeRedirects).
	Gone []string
	// DryRun computes everything and writes nothing.
	DryRun bool
}

// HostReport is what WriteHostFiles did (or, with DryRun, would do).
type HostReport struct {
	// Headers is what happened to _headers: "created", "updated",
	// "unchanged", or "" without HostFiles.Headers. With several roots it
	// lists "DIR: status" for each root that is the top of a deploy (a root
	// nested in another of the same host shares its file), comma-separated.
	Headers string `json:"headers,omitempty"`
	// HeaderConflicts are the user's own lines of _headers, as "FILE: line",
	// that set X-Pingback or a webmention Link too: hosts merge both values
	// into one broken header.
	HeaderConflicts []string `json:"header_conflicts,omitempty"`
	// Tombstones are the _redirects files that changed.
	Tombstones []string `json:"tombstones,omitempty"`
}

// WriteHostFiles is the one writer of the host files of a deploy, for
// `build` and `inject` alike: it merges hf into the `_headers` and
// `_redirects` of every root that is the top of a deploy (a root nested in
// another served from the same scheme and host shares that root's files,
// which hosts read only at the top), keeping the user's own rules byte for
// byte. Each file is written atomically, and only when it changes.
func WriteHostFiles(roots []config.Root, hf HostFiles) (*HostReport, error) {
	rep := &HostReport{}
	host := hostRoots(roots)
	if hf.Headers {
		var states []string
		for i, root := range roots {
			if host[i] != i {
				continue // served from an outer root's deploy: its _headers covers it
			}
			p := filepath.Join(root.Dir, "_headers")
			state, out, err := mergeFile(p, func(b []byte) ([]byte, bool) { return mergeHeaders(b, hf.Tags) }, hf.DryRun)
			if err != nil {
				return nil, err
			}
			for _, c := range conflictingHeaders(out) {
				rep.HeaderConflicts = append(rep.HeaderConflicts, p+": "+c)
			}
			if len(roots) > 1 {
				state = filepath.ToSlash(root.Dir) + ": " + state
			}
			states = append(states, state)
		}
		rep.Headers = strings.Join(states, ", ")
	}
	if len(hf.Gone) > 0 {
		changed, err := tombstones(roots, host, hf.Gone, hf.DryRun)
		if err != nil {
			return nil, err
		}
		rep.Tombstones = changed
	}
	return rep, nil
}

// tombstones merges 410 rules for the pages at goneURLs into `_redirects`:
// the file of the root the URL belongs to (the one with the longest BaseURL
// prefixing it), or of the outer root that deploys it (host, from
// hostRoots). URLs under no root are left out. It returns the files that
// changed (or would, with dryRun), sorted.
func tombstones(roots []config.Root, host []int, goneURLs []string, dryRun bool) ([]string, error) {
	byRoot := map[int][]string{}
	for _, u := range goneURLs {
		best, bestLen := -1, 0
		for i, r := range roots {
			base := r.BaseURL
			if base != "" && !strings.HasSuffix(base, "/") {
				base += "/"
			}
			if base != "" && strings.HasPrefix(u, base) && len(base) > bestLen {
				best, bestLen = i, len(base)
			}
		}
		if best >= 0 {
			byRoot[host[best]] = append(byRoot[host[best]], u)
		}
	}
	var changed []string
	for i, r := range roots {
		gone, ok := byRoot[i]
		if !ok {
			continue
		}
		p := filepath.Join(r.Dir, "_redirects")
		state, _, err := mergeFile(p, func(b []byte) ([]byte, bool) { return mergeRedirects(b, gone) }, dryRun)
		if err != nil {
			return nil, err
		}
		if state != "unchanged" {
			changed = append(changed, p)
		}
	}
	slices.Sort(changed)
	return changed, nil
}

// mergeFile applies merge to the file at path (empty when it does not
// exist) and writes the result atomically when it changed, unless dryRun.
// It returns "created", "updated" or "unchanged", and the merged bytes.
func mergeFile(path string, merge func([]byte) ([]byte, bool), dryRun bool) (string, []byte, error) {
	old, err := os.ReadFile(path)
	exists := err == nil
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", nil, fmt.Errorf("read %s: %w", path, err)
	}
	out, changed := merge(old)
	if !changed {
		return "unchanged", out, nil
	}
	if !dryRun {
		if err := WriteFileAtomic(path, out); err != nil {
			return "", nil, err
		}
	}
	if exists {
		return "updated", out, nil
	}
	return "created", out, nil
}
