package scaffold

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/hugo-pingback/hugo-pingback/config"
)

// configFile is the site config init adds the settings to.
type configFile struct {
	path   string // relative to the site, slash-separated
	format string // toml, yaml or json
	// inParams is a params file (config/_default/params.toml): its top level
	// is the params table, so the block is [pingback], not [params.pingback].
	inParams bool
}

// findConfig finds the site's config the way Hugo looks for it: hugo.* then
// config.* in the site's root, else the config directory's _default, where a
// params file, when there is one, is where params live.
func findConfig(dir string) (configFile, error) {
	exts := []struct{ ext, format string }{{"toml", "toml"}, {"yaml", "yaml"}, {"yml", "yaml"}, {"json", "json"}}
	find := func(sub string, bases ...string) (configFile, bool) {
		for _, b := range bases {
			for _, e := range exts {
				p := filepath.ToSlash(filepath.Join(sub, b+"."+e.ext))
				if fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(p))); err == nil && fi.Mode().IsRegular() {
					return configFile{path: p, format: e.format, inParams: b == "params"}, true
				}
			}
		}
		return configFile{}, false
	}
	if c, ok := find("", "hugo", "config"); ok {
		return c, nil
	}
	if c, ok := find(filepath.Join("config", "_default"), "params", "hugo", "config"); ok {
		return c, nil
	}
	return configFile{}, fmt.Errorf("%s: %w: run init in a Hugo site", dir, ErrNoConfig)
}

// entry is one setting of the block.
type entry struct {
	table string // "" or a nested table under pingback ("receive")
	key   string
	help  string
	value string // in TOML/YAML/JSON flow syntax (the three agree for these values)
	live  bool   // written uncommented
}

// liveKey is the one setting the block sets, to its default: it changes
// nothing, and makes the table a table in YAML and JSON, where a key with
// only comments under it would be null.
const liveKey = "ledger"

// entries are the block's settings: every [params.pingback] key of the
// settings table, with its help and its default.
func entries() []entry {
	var es []entry
	for _, s := range config.Settings {
		if s.Key == "" {
			continue
		}
		e := entry{key: s.Key, help: s.Help, value: example(s), live: s.Key == liveKey}
		if i := strings.LastIndex(s.Key, "."); i >= 0 {
			e.table, e.key = s.Key[:i], s.Key[i+1:]
		}
		es = append(es, e)
	}
	return es
}

// example is a setting's default as a config value, else an empty one.
func example(s *config.Setting) string {
	if s.Default != "" {
		if v, err := s.Parse(s.Default); err == nil {
			switch v := v.(type) {
			case bool:
				return strconv.FormatBool(v)
			case int, int64, float64:
				return fmt.Sprint(v)
			case []string:
				q := make([]string, len(v))
				for i, x := range v {
					q[i] = strconv.Quote(x)
				}
				return "[" + strings.Join(q, ", ") + "]"
			case time.Duration, string:
				return strconv.Quote(s.Default)
			}
		}
		return strconv.Quote(s.Default)
	}
	switch {
	case s.IsBool():
		return "false"
	case s.IsList():
		return "[]"
	}
	return `""`
}

const intro = `hugo-pingback: linkbacks (Webmention, Pingback, Trackback) for this site.
Every setting with its default; uncomment what you change. A flag of the
same name overrides a setting for one run (hugo-pingback COMMAND --help).`

// wrap breaks text into comment lines of at most width columns after prefix.
func wrap(prefix, text string, width int) string {
	var b strings.Builder
	line := prefix + "#"
	for _, w := range strings.Fields(text) {
		if len(line)+1+len(w) > width && line != prefix+"#" {
			b.WriteString(line + "\n")
			line = prefix + "#"
		}
		line += " " + w
	}
	b.WriteString(line + "\n")
	return b.String()
}

func introComment(prefix string) string {
	var b strings.Builder
	for _, l := range strings.Split(intro, "\n") {
		b.WriteString(prefix + "# " + l + "\n")
	}
	return b.String()
}

// grouped is the block's settings: those of the pingback table, then each
// nested table's, in the settings table's order.
func grouped() (top []entry, tables []string, nested map[string][]entry) {
	nested = map[string][]entry{}
	for _, e := range entries() {
		if e.table == "" {
			top = append(top, e)
			continue
		}
		if _, ok := nested[e.table]; !ok {
			tables = append(tables, e.table)
		}
		nested[e.table] = append(nested[e.table], e)
	}
	return top, tables, nested
}

// tomlBlock is the block for a TOML config, as the table named table.
func tomlBlock(table string) string {
	var b strings.Builder
	b.WriteString(introComment(""))
	b.WriteString("[" + table + "]\n")
	top, tables, nested := grouped()
	for i, e := range top {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(wrap("  ", e.help, 78))
		b.WriteString(commentUnless(e.live, "  ") + e.key + " = " + e.value + "\n")
	}
	for _, t := range tables {
		b.WriteString("\n  # [" + table + "." + t + "]\n")
		for _, e := range nested[t] {
			b.WriteString(wrap("  ", e.help, 78))
			b.WriteString("  # " + e.key + " = " + e.value + "\n")
		}
	}
	return b.String()
}

func commentUnless(live bool, prefix string) string {
	if live {
		return prefix
	}
	return prefix + "# "
}

// yamlBody is the pingback mapping's lines for a YAML config, at indent
// (the pingback key's) with unit more for its children.
func yamlBody(indent, unit string) string {
	var b strings.Builder
	b.WriteString(indent + "pingback:\n")
	in := indent + unit
	top, tables, nested := grouped()
	for _, e := range top {
		b.WriteString(wrap(in, e.help, 78))
		b.WriteString(commentUnless(e.live, in) + e.key + ": " + e.value + "\n")
	}
	for _, t := range tables {
		b.WriteString(in + "# " + t + ":\n")
		for _, e := range nested[t] {
			b.WriteString(wrap(in+unit, e.help, 78))
			b.WriteString(in + "# " + unit + e.key + ": " + e.value + "\n")
		}
	}
	return b.String()
}

// settingsChange plans the settings block for the config, or says why there
// is none: the config has [params.pingback] already, or its shape leaves no
// place to insert it without rewriting the file (then the note holds the
// block to add by hand).
func settingsChange(dir string, cf configFile) (*Change, string, error) {
	old, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(cf.path)))
	if err != nil {
		return nil, "", fmt.Errorf("read site config %s: %w", cf.path, err)
	}
	return planBlock(cf, old)
}

// planBlock is settingsChange on the bytes of the config.
func planBlock(cf configFile, old []byte) (*Change, string, error) {
	m, err := parseConfig(cf.format, old)
	if err != nil {
		return nil, "", fmt.Errorf("read site config %s: %w", cf.path, err)
	}
	table := "params.pingback"
	if cf.inParams {
		table = "pingback"
	}
	if hasPingback(m, cf.inParams) {
		return nil, fmt.Sprintf("%s already has [%s]; left as it is", cf.path, table), nil
	}
	var updated []byte
	var note string
	switch cf.format {
	case "toml":
		updated = appendBlock(old, tomlBlock(table))
	case "yaml":
		updated, err = insertYAML(old, cf.inParams)
	case "json":
		updated, err = insertJSON(old, cf.inParams)
		note = jsonNote(cf.path)
	}
	if err == nil {
		// The result must still be a config Hugo reads, now with the table.
		if m, perr := parseConfig(cf.format, updated); perr != nil || !hasPingback(m, cf.inParams) {
			err = fmt.Errorf("the file's shape leaves no place for the block (%v)", perr)
		}
	}
	if err != nil {
		hand := tomlBlock(table)
		if cf.format == "yaml" {
			hand = yamlBody("", "  ")
			if !cf.inParams {
				hand = "params:\n" + yamlBody("  ", "  ")
			}
		}
		return nil, fmt.Sprintf("%s was left as it is: %v; add the settings by hand:\n\n%s", cf.path, err, indent(hand)), nil
	}
	what := fmt.Sprintf("added a commented [%s] block to %s", table, cf.path)
	if cf.format == "json" {
		what = fmt.Sprintf("added %s with the %s key to %s", table, liveKey, cf.path)
	}
	return &Change{Path: cf.path, Old: old, New: updated, What: what}, note, nil
}

// insertYAML adds the pingback mapping: under an existing block mapping
// params, right after its key line and at its children's indentation, else
// as a new top-level params (or, in a params file, pingback) at the end.
func insertYAML(old []byte, inParams bool) ([]byte, error) {
	if inParams {
		return appendBlock(old, introComment("")+yamlBody("", "  ")), nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(old, &doc); err != nil {
		return nil, err
	}
	var params, value *yaml.Node
	if len(doc.Content) == 1 && doc.Content[0].Kind == yaml.MappingNode {
		top := doc.Content[0]
		for i := 0; i+1 < len(top.Content); i += 2 {
			if strings.EqualFold(top.Content[i].Value, "params") {
				params, value = top.Content[i], top.Content[i+1]
			}
		}
	}
	if params == nil {
		return appendBlock(old, introComment("")+"params:\n"+yamlBody("  ", "  ")), nil
	}
	keyIndent := strings.Repeat(" ", params.Column-1)
	child := keyIndent + "  "
	switch {
	case value.Kind == yaml.MappingNode && value.Style&yaml.FlowStyle == 0 && len(value.Content) > 0:
		child = strings.Repeat(" ", value.Content[0].Column-1)
	case value.Kind == yaml.ScalarNode && value.Tag == "!!null" && value.Value == "":
		// "params:" with nothing under it.
	default:
		return nil, errors.New("params is not a block mapping")
	}
	lines := bytes.SplitAfter(old, []byte("\n"))
	at := params.Line // insert after the key's line (1-based)
	if at > len(lines) {
		return nil, errors.New("params is on no line")
	}
	unit := strings.TrimPrefix(child, keyIndent)
	if unit == "" {
		unit = "  "
	}
	var out []byte
	for i, l := range lines {
		out = append(out, l...)
		if i+1 == at {
			if !bytes.HasSuffix(l, []byte("\n")) {
				out = append(out, '\n')
			}
			out = append(out, introComment(child)+yamlBody(child, unit)...)
		}
	}
	return out, nil
}

// insertJSON adds "pingback": {"ledger": …} as the first member of the
// params object (or of the file, for a params file), else a params member
// at the end of the file's object, in the file's indentation.
func insertJSON(old []byte, inParams bool) ([]byte, error) {
	unit := jsonIndent(old)
	member := func(level int) string {
		in := strings.Repeat(unit, level)
		return "\n" + in + `"pingback": {` + "\n" + in + unit + `"` + liveKey + `": ` + ledgerValue() + "\n" + in + "}"
	}
	dec := json.NewDecoder(bytes.NewReader(old))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("the top level is not an object")
	}
	if inParams {
		return insertMember(old, int(dec.InputOffset()), member(1), dec.More()), nil
	}
	members := 0
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		members++
		if key, _ := t.(string); strings.EqualFold(key, "params") {
			v, err := dec.Token()
			if err != nil {
				return nil, err
			}
			if v != json.Delim('{') {
				return nil, errors.New("params is not an object")
			}
			return insertMember(old, int(dec.InputOffset()), member(2), dec.More()), nil
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	end, err := dec.Token() // the closing brace
	if err != nil || end != json.Delim('}') {
		return nil, errors.New("the top-level object does not close")
	}
	at := int(dec.InputOffset()) - 1
	// Go back over the whitespace before the brace, to add after the last member.
	for at > 0 && strings.ContainsRune(" \t\r\n", rune(old[at-1])) {
		at--
	}
	in := unit
	text := "\n" + in + `"params": {` + strings.ReplaceAll(member(1), "\n", "\n"+in) + "\n" + in + "}"
	if members > 0 {
		text = "," + text
	}
	return append(append(bytes.Clone(old[:at]), text...), old[at:]...), nil
}

// insertMember inserts text right after an object's opening brace at
// offset, with a comma when members follow.
func insertMember(old []byte, offset int, text string, more bool) []byte {
	if more {
		text += ","
	}
	return append(append(bytes.Clone(old[:offset]), text...), old[offset:]...)
}

// jsonIndent is the file's indentation unit: the whitespace before its first key.
func jsonIndent(data []byte) string {
	i := bytes.IndexByte(data, '{')
	if i < 0 {
		return "  "
	}
	rest := data[i+1:]
	nl := bytes.IndexByte(rest, '\n')
	if nl < 0 {
		return "  "
	}
	ws := rest[nl+1:]
	n := 0
	for n < len(ws) && (ws[n] == ' ' || ws[n] == '\t') {
		n++
	}
	if n == 0 {
		return "  "
	}
	return string(ws[:n])
}

func ledgerValue() string {
	for _, e := range entries() {
		if e.key == liveKey {
			return e.value
		}
	}
	return strconv.Quote(config.DefaultLedger)
}

// jsonNote lists the settings for a JSON config, which cannot carry them
// as comments.
func jsonNote(path string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "JSON has no comments, so %s got only %q (its default); the settings you can add under params.pingback are:\n", path, liveKey)
	for _, e := range entries() {
		key := e.key
		if e.table != "" {
			key = e.table + "." + e.key
		}
		def := ""
		if e.value != `""` && e.value != "[]" {
			def = " (default " + e.value + ")"
		}
		fmt.Fprintf(&b, "  %-14s %s%s\n", key, e.help, def)
	}
	return strings.TrimRight(b.String(), "\n")
}
