package hugosite

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gohugoio/hugo/common/hmaps"
	hconfig "github.com/gohugoio/hugo/config"
	"github.com/spf13/afero"

	"github.com/hugo-pingback/hugo-pingback/config"
)

// ApplyConfigFiles lays over cfg what the site's own config files say
// (baseURL, publishDir and [params.pingback]), read as files, without
// loading the site: for a site the embedded Hugo cannot load (a theme that
// needs a newer or extended Hugo, modules that cannot be fetched offline),
// so that the settings the user wrote still hold. The files are those hugo
// reads: the root config file (hugo.*, else config.*), then
// config/_default, then config/ENVIRONMENT, later ones winning key by key;
// what themes and modules would add is not there. It returns the unknown
// [params.pingback] keys, as Site.Apply does, and false when the site has
// no config file at all.
func ApplyConfigFiles(cfg *config.Config, dir, env string, cmd config.Scope) (unknown []config.UnknownKey, found bool, err error) {
	env = environment(env)
	fs := afero.NewOsFs()
	merged := map[string]any{}
	read := func(path, under string) error {
		m, err := hconfig.FromFileToMap(fs, path)
		if err != nil {
			return fmt.Errorf("read config %s: %w", path, err)
		}
		found = true
		if under != "" {
			// params.toml holds params, unless it wraps them in a params
			// table itself (which hugo unwraps too).
			if len(m) == 1 {
				for k, v := range m {
					if inner, ok := asMap(v); ok && strings.EqualFold(k, under) {
						m = inner
					}
				}
			}
			m = map[string]any{under: m}
		}
		mergeLower(merged, m)
		return nil
	}
	for _, name := range hconfig.DefaultConfigNames {
		if p := configFile(filepath.Join(dir, name)); p != "" {
			if err := read(p, ""); err != nil {
				return nil, found, err
			}
			break
		}
	}
	for _, sub := range []string{"_default", env} {
		d := filepath.Join(dir, configDirName, sub)
		entries, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range entries {
			ext := strings.TrimPrefix(filepath.Ext(e.Name()), ".")
			if e.IsDir() || !isConfigExt(ext) {
				continue
			}
			name := strings.ToLower(strings.TrimSuffix(e.Name(), "."+ext))
			under := name
			if name == "hugo" || name == "config" {
				under = ""
			}
			if err := read(filepath.Join(d, e.Name()), under); err != nil {
				return nil, found, err
			}
		}
	}
	if !found {
		return nil, false, nil
	}
	cfg.SiteDir = dir
	if u, ok := merged["baseurl"].(string); ok && u != "" {
		cfg.BaseURL = withSlash(u)
	}
	if p, ok := merged["publishdir"].(string); ok && p != "" {
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		cfg.PublishDir = filepath.Clean(p)
	}
	params, _ := merged["params"].(map[string]any)
	raw, ok := params[paramsKey]
	if !ok {
		return nil, true, nil
	}
	pb, ok := raw.(map[string]any)
	if !ok {
		return nil, true, &config.ParamError{Value: raw, Err: config.ErrNotTable}
	}
	unknown, err = config.ApplyParams(cfg, pb, cmd)
	return unknown, true, err
}

// configFile returns base with the first config extension hugo takes that
// names a file, or "".
func configFile(base string) string {
	for _, ext := range hconfig.ValidConfigFileExtensions {
		if fi, err := os.Stat(base + "." + ext); err == nil && fi.Mode().IsRegular() {
			return base + "." + ext
		}
	}
	return ""
}

func isConfigExt(ext string) bool {
	for _, e := range hconfig.ValidConfigFileExtensions {
		if strings.EqualFold(e, ext) {
			return true
		}
	}
	return false
}

// mergeLower merges src into dst, tables into tables, with lower-cased keys
// (hugo's keys are case-insensitive); src wins.
func mergeLower(dst, src map[string]any) {
	for k, v := range src {
		k = strings.ToLower(k)
		if sm, ok := asMap(v); ok {
			dm, ok := dst[k].(map[string]any)
			if !ok {
				dm = map[string]any{}
				dst[k] = dm
			}
			mergeLower(dm, sm)
			continue
		}
		dst[k] = v
	}
}

func asMap(v any) (map[string]any, bool) {
	switch t := v.(type) {
	case map[string]any:
		return t, true
	case hmaps.Params:
		return t, true
	case map[any]any: // older YAML decoders
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[fmt.Sprint(k)] = e
		}
		return m, true
	}
	return nil, false
}
