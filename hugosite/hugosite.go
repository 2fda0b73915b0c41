package hugosite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/bep/clocks"
	"github.com/bep/logg"
	"github.com/gohugoio/hugo/common/hmaps"
	"github.com/gohugoio/hugo/common/htime"
	"github.com/gohugoio/hugo/common/loggers"
	hconfig "github.com/gohugoio/hugo/config"
	"github.com/gohugoio/hugo/config/allconfig"
	"github.com/gohugoio/hugo/config/security"
	"github.com/gohugoio/hugo/hugofs"
	"github.com/gohugoio/hugo/hugolib"
	"github.com/spf13/afero"
)

// ErrNoConfig is returned by Load for a directory that has no Hugo
// configuration: no hugo.toml|yaml|yml|json, no config.* file and no
// config/_default directory.
var ErrNoConfig = errors.New("no Hugo config found")

// Options says which site to load and how to build it. They mirror the hugo
// command's flags.
type Options struct {
	// Dir is the site directory (hugo --source); default ".".
	Dir string
	// Environment is the Hugo environment (hugo --environment); empty means
	// $HUGO_ENVIRONMENT, then $HUGO_ENV, then "production", as hugo does.
	Environment string
	// BaseURL overrides the configured baseURL (hugo --baseURL).
	BaseURL string
	// Flags are further flags of `hugo build` (see BuildFlags), with Hugo's
	// meaning: --destination, --buildDrafts, --minify, --gc, --config and
	// the others. Relative paths are relative to Dir, as with hugo.
	Flags Flags
	// Logger receives hugo-pingback's own warnings about the site (a front
	// matter switch it cannot read); nil discards them.
	Logger *slog.Logger
	// Stderr receives Hugo's own log (its warnings and errors; more with
	// --logLevel) in Hugo's format, as the hugo command prints it. nil
	// hands it to Logger at Info level instead: a command that loads the
	// site only for its page data (send, inject) keeps it out of the way,
	// since the build that wrote the site showed it already.
	Stderr io.Writer
	// Stdout receives what hugo prints on stdout besides its summary: the
	// reports of --templateMetrics and --printMemoryUsage. nil discards it.
	Stdout io.Writer
	// Offline forbids the site any network access while it loads and
	// renders: no resources.GetRemote, no module downloads. send and inject
	// load the site this way (a dry run makes no request, and every request
	// of the tool goes through its guarded client); build does not, since
	// building is the site's own business, as with hugo.
	Offline bool
	// Transform, when set, rewrites every .html/.htm file Hugo writes into
	// the publish dir (pages and static files alike) as it is written, with
	// the file's absolute path and its whole content. `hugo-pingback build`
	// injects its link tags this way instead of rewriting the built files
	// afterwards.
	//
	// It is called from several goroutines at once, and must not keep data
	// after it returns. A page Hugo rewrites after writing it (templates.Defer,
	// resources.PostProcess: Hugo reads the page back, fills in the
	// placeholders and writes it again) passes through Transform twice, the
	// second time with the output of the first, so it must be idempotent. A
	// failed write of a transformed file fails the Build.
	Transform func(path string, data []byte) []byte
}

// configDirName is the hugo command's default --configDir.
const configDirName = "config"

// HasConfig reports whether dir holds a Hugo configuration that Load can
// read: a hugo.* or config.* file in a format Hugo reads, or a
// config/_default directory.
func HasConfig(dir string) bool {
	return hasConfig(dir, configDirName)
}

func hasConfig(dir, configDir string) bool {
	for _, name := range hconfig.DefaultConfigNames {
		for _, ext := range hconfig.ValidConfigFileExtensions {
			if fi, err := os.Stat(filepath.Join(dir, name+"."+ext)); err == nil && !fi.IsDir() {
				return true
			}
		}
	}
	if !filepath.IsAbs(configDir) {
		configDir = filepath.Join(dir, configDir)
	}
	fi, err := os.Stat(filepath.Join(configDir, "_default"))
	return err == nil && fi.IsDir()
}

// configFileExists reports whether name, a --config name relative to the
// site dir (or absolute), is a file Hugo reads as config: the name as
// given when it has an extension, else the name with one of Hugo's config
// extensions, as hugo tries them.
func configFileExists(dir, name string) bool {
	p := name
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	if filepath.Ext(name) != "" {
		fi, err := os.Stat(p)
		return err == nil && fi.Mode().IsRegular()
	}
	return configFile(p) != ""
}

// CheckConfigFlags checks the --config names of flags as hugo reads them
// (configFileExists, relative to dir): names that are not there are
// skipped, as hugo does, but not every one of them.
func CheckConfigFlags(dir string, flags Flags) error {
	var names []string
	for _, v := range flags["config"] {
		for _, name := range strings.Split(v, ",") {
			if name == "" {
				continue
			}
			if configFileExists(dir, name) {
				return nil
			}
			names = append(names, name)
		}
	}
	if names == nil {
		return nil
	}
	return fmt.Errorf("--config %s: no such config file (a relative path is taken from the site dir, %s)", strings.Join(names, ","), dir)
}

// Site is a loaded Hugo site. It is built at most once; Pages may be called
// after Build or on its own (it then processes the site without rendering).
// Its methods may be called from several goroutines; Build, Pages and Close
// run one at a time.
type Site struct {
	opts    Options
	dir     string // absolute site dir
	env     string
	configs *allconfig.Configs
	fs      *hugofs.Fs
	tfs     *transformFs // the destination, when Options.Transform is set
	log     *slog.Logger
	hlog    loggers.Logger
	warned  *atomic.Int64

	mu        sync.Mutex
	h         *hugolib.HugoSites
	processed bool // h has processed the content (Build or render-less)
	built     bool // h has rendered and written the site
}

// Load reads the site's configuration with Hugo's own loader: hugo.toml,
// hugo.yaml or hugo.json (or config.*), config/_default and config/ENV
// directories, HUGO_* environment variables and the options, in Hugo's order
// of precedence. A directory with no configuration gives ErrNoConfig.
func Load(ctx context.Context, opts Options) (*Site, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if opts.Dir == "" {
		opts.Dir = "."
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("load Hugo site %s: %w", opts.Dir, err)
	}
	configDir := configDirName
	if d := opts.Flags.last("configDir"); d != "" {
		configDir = d
	}
	// With --config, Hugo reads the files named; LoadConfig says when
	// there are none.
	if opts.Flags.last("config") == "" && !hasConfig(dir, configDir) {
		return nil, fmt.Errorf("load Hugo site %s: %w", dir, ErrNoConfig)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Site{opts: opts, dir: dir, env: environment(opts.Environment), log: log, warned: new(atomic.Int64)}

	// The flags layer, set up the way the hugo command's loadConfig and
	// flagsToCfg do, so the same site gives the same config.
	cfg := hconfig.New()
	cfg.Set("workingDir", dir)
	cfg.Set("environment", s.env)
	cfg.Set("renderToMemory", false)
	cfg.Set("internal", hmaps.Params{"running": false, "watch": false, "verbose": false, "fastRenderMode": false})
	if opts.BaseURL != "" {
		cfg.Set("baseURL", opts.BaseURL)
	}
	if err := opts.Flags.apply(cfg); err != nil {
		return nil, fmt.Errorf("load Hugo site %s: %w", dir, err)
	}
	if opts.Offline {
		cfg.Set("security.http.urls", []string{"none"})
		cfg.Set("module.proxy", "off")
	}

	s.hlog = s.newHugoLogger(nil)
	configs, err := allconfig.LoadConfig(allconfig.ConfigSourceDescriptor{
		Flags:       cfg,
		Fs:          hugofs.Os,
		Filename:    opts.Flags.last("config"),
		ConfigDir:   configDir,
		Environment: s.env,
		// Hugo skips the environment when it guesses it runs under go test;
		// hugo-pingback always honours HUGO_* variables.
		Environ: os.Environ(),
		Logger:  s.hlog,
	})
	if err != nil {
		return nil, fmt.Errorf("load Hugo config in %s: %w", dir, err)
	}
	if len(configs.LoadingInfo.ConfigFiles) == 0 {
		return nil, fmt.Errorf("load Hugo site %s: %w", dir, ErrNoConfig)
	}
	// Hugo's config can name logs to ignore; honour them from now on, also
	// in the process-wide logger Hugo's deprecation notices use (LoadConfig
	// set it to the first one, as the hugo command does).
	s.hlog = s.newHugoLogger(configs.GetFirstLanguageConfig().IgnoredLogs())
	loggers.SetGlobalLogger(s.hlog)
	if !configs.Base.C.Clock.IsZero() {
		// hugo --clock: Hugo's clock is process-wide; the command sets it here too.
		htime.Clock = clocks.Start(configs.Base.C.Clock)
	}

	if opts.Offline {
		// The flag alone loses to a site's own [security.http] urls: set
		// the loaded policy of every language too.
		none := security.MustNewWhitelist("none")
		configs.Base.Security.HTTP.URLs = none
		for _, l := range configs.LanguageConfigMap {
			l.Security.HTTP.URLs = none
		}
	}
	base := configs.Base
	cfg.Set("publishDir", base.PublishDir)
	cfg.Set("publishDirStatic", base.PublishDir)
	cfg.Set("publishDirDynamic", base.PublishDir)
	s.configs = configs
	var dest afero.Fs = hugofs.Os
	if opts.Transform != nil {
		s.tfs = newTransformFs(hugofs.Os, opts.Transform)
		dest = s.tfs
	}
	s.fs = hugofs.NewFromSourceAndDestination(hugofs.Os, dest, cfg)
	return s, nil
}

// environment resolves the Hugo environment the way the hugo command does
// for a build (not a server).
func environment(env string) string {
	if env != "" {
		return env
	}
	if e := os.Getenv("HUGO_ENVIRONMENT"); e != "" {
		return e
	}
	if e := os.Getenv("HUGO_ENV"); e != "" {
		return e
	}
	return "production"
}

// Environment returns the Hugo environment the site was loaded for.
func (s *Site) Environment() string { return s.env }

// Close releases what Hugo holds for the site (caches, worker pools).
func (s *Site) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.h == nil {
		return nil
	}
	err := s.h.Close()
	s.h = nil
	return err
}

// newHugoLogger returns the Hugo logger of the site: Hugo's own log goes to
// Options.Stderr in Hugo's format (else to s.log at Info level), what hugo
// prints on stdout to Options.Stdout, both nowhere with --quiet; warnings
// are counted, and with --panicOnWarning the first one panics, as in hugo.
// Hugo drops repeated warnings itself (DistinctLevel), as the hugo command
// does.
func (s *Site) newHugoLogger(ignored map[string]bool) loggers.Logger {
	flags := s.opts.Flags
	level := logg.LevelWarn
	if s.log.Enabled(context.Background(), slog.LevelInfo) {
		level = logg.LevelInfo
	}
	switch strings.ToLower(flags.last("logLevel")) {
	case "debug":
		level = logg.LevelDebug
	case "info":
		level = logg.LevelInfo
	case "warn", "warning":
		level = logg.LevelWarn
	case "error":
		level = logg.LevelError
	}
	stdout, stderr := s.opts.Stdout, s.opts.Stderr
	toLog := stderr == nil
	if stdout == nil || flags.Bool("quiet") {
		stdout = io.Discard
	}
	if stderr == nil || flags.Bool("quiet") {
		stderr = io.Discard
	}
	panicOnWarning := flags.Bool("panicOnWarning")
	return loggers.New(loggers.Options{
		Level:              level,
		DistinctLevel:      logg.LevelWarn,
		StdOut:             stdout,
		StdErr:             stderr,
		SuppressStatements: ignored,
		HandlerPost: func(e *logg.Entry) error {
			if e.Level == logg.LevelWarn {
				s.warned.Add(1)
			}
			if toLog && e.Level >= logg.LevelInfo {
				if msg, attrs := hugoEntry(e); msg != "" {
					s.log.Info(msg, append(attrs, "from", "hugo", "level", e.Level.String())...)
				}
			}
			if panicOnWarning {
				return loggers.PanicOnWarningHook(e)
			}
			return nil
		},
	})
}

// hugoEntry reads a Hugo log entry as Hugo prints it: the message after
// the name of the step that logged it ("build: "), and the fields.
func hugoEntry(e *logg.Entry) (msg string, attrs []any) {
	msg = strings.TrimSpace(e.Message)
	for _, f := range e.Fields {
		switch f.Name {
		case loggers.FieldNameCmd:
			msg = strings.TrimSpace(fmt.Sprint(f.Value) + ": " + msg)
		case loggers.FieldNameStatementID:
		default:
			attrs = append(attrs, f.Name, f.Value)
		}
	}
	return strings.TrimSuffix(msg, ":"), attrs
}
