// Package hugosite is hugo-pingback's only door to Hugo: it loads a Hugo
// site's configuration with Hugo's own loader, builds the site in-process
// exactly as the hugo command does (static files included), and gives the
// page data of the site's regular pages (site.PageInfo): their front-matter
// switches and the links of their rendered content. It is the one owner of
// those links: it reads them once, with renderer.Links and the site's
// opt-out rules, and nobody after it resolves or filters them again.
//
// All use of github.com/gohugoio/hugo (pinned at v0.165.0) lives in this
// package, behind a small API of plain types: Hugo's Go API has no stability
// promise, and keeping it here means an upgrade touches one package. It
// relies on hugolib.NewHugoSites, allconfig.LoadConfig, the BaseFs static
// filesystems and deps.DepsCfg.TestLogger; nothing else of Hugo's leaks out.
//
// hugosite never sends, injects or writes anything but what Hugo itself
// writes, passed through the caller's Options.Transform when one is given.
// It prints only where it is told to: Hugo's own log goes to
// Options.Stderr in Hugo's format (as `hugo` prints it, each warning once),
// else to Options.Logger at Info level; its own warnings (a front-matter
// switch it cannot read) go to Options.Logger.
//
// # Flags
//
// Options.Flags takes the flags of `hugo build` listed in BuildFlags (the
// ones a one-off build can use: --gc, --minify, --destination,
// --buildDrafts, --config, --logLevel, --quiet, --panicOnWarning and the
// others), with Hugo's meaning: those that are config keys go to the flags
// layer of Hugo's config loader, as the hugo command's flagsToCfg puts them;
// the rest (--gc, --config, --configDir, --quiet, --logLevel,
// --panicOnWarning, --printMemoryUsage) Load and Build act on as the command
// does.
//
// # Configuration
//
// Load reads hugo.toml|yaml|yml|json (or config.*), config/_default and
// config/ENVIRONMENT, and HUGO_* environment variables, in Hugo's order: the
// files, then the options (hugo's flags), then the variables. The
// environment is Options.Environment, else $HUGO_ENVIRONMENT, else $HUGO_ENV,
// else "production", as for `hugo` (not `hugo server`).
//
// Site.Apply fills a config.Config from the site (baseURL, publishDir, the
// languages' roots, title, feed) and hands its [params.pingback] table,
// nested tables as plain maps, to config.ApplyParams, which owns every key
// (see config.Settings and the README's list).
//
// # Front matter
//
// A page with `pingback: false` sends nothing (PageInfo.NoSend); a page with
// `pingbackReceive: false` gets no link tags (PageInfo.NoReceive). Both may be
// cascaded from a section and may be the string "false".
//
// # Building
//
// Build is the hugo command's build: Hugo renders the sites while the static
// filesystems (static/ and module mounts, one per language on a multihost
// site) are synced into the publish dir with the same fsync settings the
// command uses (noTimes, noChmod, cleanDestinationDir). Hugo's caches stay
// where hugo keeps them: cacheDir, else $HUGO_CACHEDIR, else
// os.UserCacheDir()/hugo_cache, shared with an installed hugo; resources/_gen
// and .hugo_build.lock in the site directory, as with hugo.
//
// With Options.Transform, the publish filesystem Hugo writes through buffers
// every .html/.htm file opened for writing and hands its whole content to
// Transform at Close, before it reaches the disk: pages and aliases (Hugo's
// publisher), pages Hugo rewrites for templates.Defer and
// resources.PostProcess (read back, then written again: Transform sees its
// own output), and static pages (the static copy, which is told no page in
// the publish dir is up to date, so a page an earlier plain build left there
// is copied again, through Transform). Hugo drops the errors of Close, where
// these writes happen; Build reports the first.
package hugosite
