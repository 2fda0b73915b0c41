package hugosite

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	hconfig "github.com/gohugoio/hugo/config"
)

// BuildFlag is one flag of `hugo build` that Load and Build take, by
// Options.Flags, with Hugo's meaning: so that `hugo-pingback build` can
// replace `hugo` in a build command as it is (Netlify's `hugo --gc
// --minify`, GitHub Pages' `hugo --gc --minify --baseURL ...`).
type BuildFlag struct {
	// Name is the flag as hugo spells it: "buildFuture".
	Name string
	// Short is its one-letter form, "" for none: "F".
	Short string
	// Arg is the placeholder of its value in --help; "" for a switch.
	Arg string
	// List marks a list (hugo's string slices): comma-separated, and the
	// flag may be repeated.
	List bool
	// Help is hugo's help text.
	Help string

	key   string             // the Hugo config key the flag sets; "" when Load or Build acts on it
	check func(string) error // further checks of a value
}

// IsBool reports whether the flag is a switch.
func (f BuildFlag) IsBool() bool { return f.Arg == "" }

// Check reports whether text is a valid value of the flag, so that a
// mistake fails before any work.
func (f BuildFlag) Check(text string) error {
	if f.IsBool() {
		if _, err := strconv.ParseBool(text); err != nil {
			return errors.New("want true or false")
		}
		return nil
	}
	if f.check != nil {
		return f.check(text)
	}
	return nil
}

// BuildFlags are the flags of `hugo build` in Hugo v0.165.0 (its
// commands/commandeer.go) that a one-off build can use; those that need a
// server, a watch or a profiler (--watch, --poll, --renderToMemory,
// --forceSyncStatic, --profile-*, --trace) are left out. --source,
// --baseURL and --environment are hugo-pingback settings of their own
// (config.Settings), as their values shape its config too.
var BuildFlags = []BuildFlag{
	{Name: "destination", Short: "d", Arg: "DIR", key: "publishDir", Help: "filesystem path to write files to"},
	{Name: "cleanDestinationDir", key: "cleanDestinationDir", Help: "remove files from destination not found in static directories"},
	{Name: "buildDrafts", Short: "D", key: "buildDrafts", Help: "include content marked as draft"},
	{Name: "buildFuture", Short: "F", key: "buildFuture", Help: "include content with publishdate in the future"},
	{Name: "buildExpired", Short: "E", key: "buildExpired", Help: "include expired content"},
	{Name: "minify", key: "minify.minifyOutput", Help: "minify any supported output format (HTML, XML etc.)"},
	{Name: "gc", Help: "enable to run some cleanup tasks (remove unused cache files) after the build"},
	{Name: "config", Arg: "FILE", Help: "config file (default is hugo.yaml|json|toml); several, comma-separated, are merged"},
	{Name: "configDir", Arg: "DIR", Help: "config dir (default config)"},
	{Name: "theme", Short: "t", Arg: "THEME", List: true, key: "theme", Help: "themes to use (located in /themes/THEMENAME/)"},
	{Name: "themesDir", Arg: "DIR", key: "themesDir", Help: "filesystem path to themes directory"},
	{Name: "contentDir", Short: "c", Arg: "DIR", key: "contentDir", Help: "filesystem path to content directory"},
	{Name: "layoutDir", Short: "l", Arg: "DIR", key: "layoutDir", Help: "filesystem path to layout directory"},
	{Name: "cacheDir", Arg: "DIR", key: "cacheDir", Help: "filesystem path to cache directory"},
	{Name: "ignoreCache", key: "ignoreCache", Help: "ignore the configured file caches"},
	{Name: "ignoreVendorPaths", Arg: "GLOB", key: "ignoreVendorPaths", Help: "ignores any _vendor for module paths matching the given Glob pattern"},
	{Name: "disableKinds", Arg: "KIND", List: true, key: "disableKinds", Help: "disable different kind of pages (home, RSS etc.)"},
	{Name: "renderSegments", Arg: "SEGMENT", List: true, key: "renderSegments", Help: "named segments to render (configured in the segments config)"},
	{Name: "enableGitInfo", key: "enableGitInfo", Help: "add Git revision, date, author, and CODEOWNERS info to the pages"},
	{Name: "noTimes", key: "noTimes", Help: "don't sync modification time of files"},
	{Name: "noChmod", key: "noChmod", Help: "don't sync permission mode of files"},
	{Name: "noBuildLock", key: "noBuildLock", Help: "don't create .hugo_build.lock file"},
	{Name: "clock", Arg: "TIME", key: "internal.clock", check: checkClock, Help: "set the clock used by Hugo, e.g. --clock 2021-11-06T22:30:00.00+09:00"},
	{Name: "logLevel", Arg: "LEVEL", check: checkLogLevel, Help: "log level (debug|info|warn|error)"},
	{Name: "quiet", Help: "build in quiet mode"},
	{Name: "panicOnWarning", Help: "panic on first WARNING log"},
	{Name: "printI18nWarnings", key: "printI18nWarnings", Help: "print missing translations"},
	{Name: "printPathWarnings", key: "printPathWarnings", Help: "print warnings on duplicate target paths etc."},
	{Name: "printUnusedTemplates", key: "printUnusedTemplates", Help: "print warnings on unused templates."},
	{Name: "templateMetrics", key: "templateMetrics", Help: "display metrics about template executions"},
	{Name: "templateMetricsHints", key: "templateMetricsHints", Help: "calculate some improvement hints when combined with --templateMetrics"},
	{Name: "printMemoryUsage", Help: "print memory usage to screen at intervals"},
}

// ErrUnknownFlag is returned by Load for an Options.Flags name that is not
// one of BuildFlags.
var ErrUnknownFlag = errors.New("not a flag of hugo build")

// Flags are flags of `hugo build` by name (BuildFlags), each with the texts
// given for it, in order: a switch's last text wins, a list's add up.
type Flags map[string][]string

// Bool reports whether the switch name was given and not as false.
func (f Flags) Bool(name string) bool {
	v := f[name]
	if len(v) == 0 {
		return false
	}
	b, _ := strconv.ParseBool(v[len(v)-1])
	return b
}

// last returns the last text given for name, or "".
func (f Flags) last(name string) string {
	v := f[name]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// list returns every value given for name, comma-separated values split.
func (f Flags) list(name string) []string {
	var out []string
	for _, text := range f[name] {
		for _, s := range strings.Split(text, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// lookupFlag returns the BuildFlag named name.
func lookupFlag(name string) (BuildFlag, bool) {
	for _, f := range BuildFlags {
		if f.Name == name {
			return f, true
		}
	}
	return BuildFlag{}, false
}

// apply checks f and sets the flags that are Hugo config keys in Hugo's
// flags layer, as the hugo command's flagsToCfg does.
func (f Flags) apply(cfg hconfig.Provider) error {
	for name, texts := range f {
		bf, ok := lookupFlag(name)
		if !ok {
			return fmt.Errorf("--%s: %w", name, ErrUnknownFlag)
		}
		for _, t := range texts {
			if err := bf.Check(t); err != nil {
				return fmt.Errorf("--%s %q: %w", name, t, err)
			}
		}
		switch {
		case bf.key == "" || len(texts) == 0:
		case bf.IsBool():
			cfg.Set(bf.key, f.Bool(name))
		case bf.List:
			cfg.Set(bf.key, f.list(name))
		default:
			cfg.Set(bf.key, f.last(name))
		}
	}
	return nil
}

func checkLogLevel(s string) error {
	switch strings.ToLower(s) {
	case "debug", "info", "warn", "warning", "error":
		return nil
	}
	return fmt.Errorf("invalid log level: %q, must be one of debug, warn, info or error", s)
}

// checkClock accepts what Hugo's config reads from the clock flag: an
// RFC 3339 time.
func checkClock(s string) error {
	if _, err := time.Parse(time.RFC3339, s); err != nil {
		return errors.New("want an RFC 3339 time such as 2021-11-06T22:30:00.00+09:00")
	}
	return nil
}
