package config

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/hugo-pingback/hugo-pingback/internal/suggest"
)

// ApplyParams applies a site's [params.pingback] table to c for the
// command cmd. Nested tables ([params.pingback.receive]) are given as
// nested maps. Keys of settings the command does not take are skipped
// unread, so a send-only key can never fail a build. Unknown keys come back,
// sorted, each with the closest key; the first bad value of a key the
// command takes is a *ParamError.
func ApplyParams(c *Config, params map[string]any, cmd Scope) (unknown []UnknownKey, err error) {
	flat := map[string]any{}
	flatten("", params, flat)
	keys := make([]string, 0, len(flat))
	for k := range flat {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s := Lookup(k)
		if s == nil {
			unknown = append(unknown, UnknownKey{Key: k, Closest: suggest.Closest(k, Keys())})
			continue
		}
		if s.Scope&cmd == 0 {
			continue
		}
		v, err := s.fromParam(flat[k])
		if err == nil {
			err = s.set(c, v, false, false)
		}
		if err != nil {
			return unknown, &ParamError{Key: s.Key, Value: flat[k], Err: err}
		}
	}
	return unknown, nil
}

// flatten turns nested tables into dotted keys: receive.allow.
func flatten(prefix string, m map[string]any, out map[string]any) {
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok && Lookup(prefix+k) == nil {
			flatten(prefix+k+".", sub, out)
			continue
		}
		out[prefix+k] = v
	}
}

// UnknownKey is a key under [params.pingback] that no setting has:
// ApplyParams ignores it, and the commands warn about it.
type UnknownKey struct {
	Key     string // as found, nested tables dotted: "receive.bogus"
	Closest string // the closest key, "" when none is close
}

// String is the warning: it names the key and the closest one.
func (u UnknownKey) String() string {
	msg := fmt.Sprintf("params.pingback.%s is not a setting of hugo-pingback; it is ignored", u.Key)
	if u.Closest != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", u.Closest)
	}
	return msg
}

// ErrNotTable is the error for a [params.pingback] that is not a table.
var ErrNotTable = errors.New("want a table of settings")

// Markdown returns the README's list of keys: one row per [params.pingback]
// key with its flag, the commands that read it, its default and its help.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| key | flag | commands | default | what it does |\n|---|---|---|---|---|\n")
	for _, s := range Settings {
		if s.Key == "" {
			continue
		}
		flag := ""
		if s.Flag != "" {
			flag = "`--" + s.Flag + "`"
		}
		def := s.Default
		switch {
		case def != "" && s.IsList():
			def = "`[" + quoteList(def) + "]`"
		case def != "":
			def = "`" + def + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", s.Key, flag, s.Scope, def, strings.NewReplacer("|", `\|`, "<", "&lt;").Replace(s.Help))
	}
	return b.String()
}

func quoteList(csv string) string {
	parts := strings.Split(csv, ",")
	for i, p := range parts {
		parts[i] = `"` + p + `"`
	}
	return strings.Join(parts, ", ")
}
