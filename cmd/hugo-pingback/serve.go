package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/hugo-pingback/hugo-pingback/config"
	"github.com/hugo-pingback/hugo-pingback/linkback"
	"github.com/hugo-pingback/hugo-pingback/linkurl"
	"github.com/hugo-pingback/hugo-pingback/mention"
	rx "github.com/hugo-pingback/hugo-pingback/receiver" // main_test.go has a type named receiver
	"github.com/hugo-pingback/hugo-pingback/site"
)

const serveSynopsis = `Receive Pingbacks, Webmentions and Trackbacks for the pages of your site: one HTTP server
that verifies each by fetching its source (the guarded client: no private addresses, size and
time caps), keeps the mentions in its own bbolt file, and moderates them.

Endpoints: POST /xmlrpc (pingback.ping), POST /webmention (202 + Location), GET /webmention/ID,
POST /trackback/PATH, GET /healthz, GET /metrics, and with --admin-token-file the JSON API
under /api/ and the moderation page /admin/.

Targets are the pages of the built site (SITE/public and the pages file of the last
hugo-pingback build, reloaded after each build); without built files, a target is a page when a
GET of it answers 200. Put TLS in front (Caddy, a platform): serve speaks plain HTTP.`

const serveExamples = `  # In the Hugo site on the server, behind Caddy on the same host
  hugo-pingback serve --public-url https://mentions.blog.example.net --admin-token-file /etc/hugo-pingback/token

  # No site files here: targets are checked live, sites named explicitly
  hugo-pingback serve --base-url https://blog.example.net/ --public-url https://rx.example.net \
      --data /var/lib/hugo-pingback/mentions.db --listen 127.0.0.1:8080 --trust-proxy
`

// serveMemoryLimit is serve's soft limit on the memory the Go runtime
// manages (GOMEMLIMIT overrides it).
const serveMemoryLimit = 32 << 20

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("serve", config.Serve, serveSynopsis, serveExamples, stdout)
	c.HugoConfigFlags()
	jsonLog := c.Bool("log-json", "write the log as JSON lines (default: text)")
	quiet := c.Bool("quiet", "log warnings and errors only")
	targetsMode := c.String("targets", "MODE", "how targets are known: files (the built site), live (a GET of the page), or auto: files when the publish dir exists (default auto)")
	if err := c.parse(args); err != nil {
		return err
	}
	level := slog.LevelInfo
	if *quiet {
		level = slog.LevelWarn
	}
	var h slog.Handler = slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})
	if *jsonLog {
		h = slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level})
	}
	log := slog.New(h)
	if os.Getenv("GOMEMLIMIT") == "" {
		// A receiver lives on a small box beside other things: collect
		// sooner rather than let a flood's garbage double the heap. A soft
		// limit: under real need the heap still grows past it.
		debug.SetMemoryLimit(serveMemoryLimit)
	}

	ld, err := c.load(ctx, false, false, log)
	if err != nil {
		return err
	}
	cfg := ld.cfg
	if len(cfg.Receive.Sites) == 0 {
		return usagef("serve: no site to take mentions for: pass --base-url, or run in a Hugo site whose config has a baseURL")
	}
	if cfg.Server == "" {
		return usagef("serve: --public-url is required (or [params.pingback] server): Webmention status URLs start with it")
	}
	policy, err := mention.NewPolicy(mention.Moderation(cfg.Receive.Moderate), cfg.Receive.Allow, cfg.Receive.Deny)
	if err != nil {
		return fmt.Errorf("receive settings: %w", err)
	}
	token := ""
	if f := cfg.Receive.AdminTokenFile; f != "" {
		if token, err = readToken(cfg.Path(f)); err != nil {
			return err
		}
	}
	client := linkback.NewClient(linkback.ClientOptions{AllowPrivate: cfg.AllowPrivate, Timeout: cfg.Timeout, Logger: log})
	targets, err := serveTargets(cfg, *targetsMode, client, log)
	if err != nil {
		return err
	}

	store, err := mention.Open(cfg.Receive.Data, &mention.Options{Timeout: time.Second})
	if err != nil {
		return fmt.Errorf("open mention store: %w", err)
	}
	defer store.Close()

	srv, err := rx.New(rx.Options{
		Store: store, Client: client, BaseURLs: cfg.Receive.Sites, Targets: targets, Policy: policy,
		ScraperThreshold: cfg.Receive.ScraperThreshold, PublicURL: cfg.Server, AdminToken: token,
		TrustProxy: cfg.Receive.TrustProxy, OnApproveURL: cfg.Receive.OnApproveURL,
		OnApproveInterval: cfg.Receive.OnApproveInterval, Logger: log,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Receive.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Receive.Listen, err)
	}
	addr := ln.Addr().String()
	fmt.Fprintf(stdout, "hugo-pingback serve: listening on http://%s (public URL %s)\n", addr, strings.TrimSuffix(cfg.Server, "/"))
	log.Info("serving", "listen", addr, "public", cfg.Server, "sites", cfg.Receive.Sites, "data", cfg.Receive.Data,
		"moderate", policy.Moderate, "admin", token != "", "allow_private", cfg.AllowPrivate)
	err = srv.Serve(ctx, ln, 30*time.Second)
	log.Info("stopped", "err", err)
	return err
}

// readToken reads the admin token: the file's first line, which must not
// be empty. A token file others can read is refused.
func readToken(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("admin token file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("admin token file %s: readable by others (mode %v): chmod 600 it", path, fi.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("admin token file: %w", err)
	}
	tok, _, _ := strings.Cut(string(data), "\n")
	tok = strings.TrimSpace(tok)
	if len(tok) < 16 {
		return "", fmt.Errorf("admin token file %s: the token must be at least 16 characters (try: openssl rand -hex 32 > %s)", path, path)
	}
	return tok, nil
}

// serveTargets chooses how targets are known: the built site's files when
// they are there (or asked for), else a live GET.
func serveTargets(cfg config.Config, mode string, client *linkback.Client, log *slog.Logger) (rx.Targets, error) {
	roots := cfg.SiteRoots()
	if len(roots) == 1 && roots[0].BaseURL == "" && len(cfg.Receive.Sites) == 1 {
		// A plain directory of built files, no Hugo config: it is
		// published at the one site given.
		roots[0].BaseURL = cfg.Receive.Sites[0]
	}
	haveFiles := false
	for _, r := range roots {
		if fi, err := os.Stat(r.Dir); err == nil && fi.IsDir() {
			haveFiles = true
		}
	}
	switch mode {
	case "", "auto":
		if !haveFiles {
			mode = "live"
		} else {
			mode = "files"
		}
	case "files", "live":
	default:
		return nil, usagef("serve: --targets %q: want files, live or auto", mode)
	}
	if mode == "live" {
		log.Info("targets are checked with a GET of the live page", "why", "no built site at "+roots[0].Dir)
		return rx.NewLiveTargets(client, rx.LiveOptions{}), nil
	}
	if !haveFiles {
		return nil, fmt.Errorf("--targets files: no built site at %s (run hugo-pingback build, or pass --public)", roots[0].Dir)
	}
	// Each site taking mentions must be one the files are published at.
	var known []string
	for _, r := range roots {
		known = append(known, linkurl.KeyOf(r.BaseURL))
	}
	for _, s := range cfg.Receive.Sites {
		if !slices.Contains(known, linkurl.KeyOf(s)) {
			return nil, usagef("serve: --base-url %s is not where the built site in %s is published (%s): pass --targets live, or the site's base URL",
				s, roots[0].Dir, roots[0].BaseURL)
		}
	}
	pages := site.PagesPath(cfg.Ledger)
	env := cfg.Environment
	if env == "" {
		env = "production"
	}
	t, err := rx.NewSiteTargets(roots, rx.SiteOptions{PagesFile: pages, Environment: env})
	if err != nil {
		return nil, err
	}
	if t.Len() == 0 {
		log.Warn("the built site has no pages yet: every target is unknown until a build", "dir", roots[0].Dir)
	}
	log.Info("targets are the pages of the built site", "pages", t.Len(), "pages_file", pages)
	return t, nil
}
