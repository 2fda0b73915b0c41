package sender

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"github.com/hugo-pingback/hugo-pingback/config"
	"github.com/hugo-pingback/hugo-pingback/linkback"
	"github.com/hugo-pingback/hugo-pingback/linkurl"
	"github.com/hugo-pingback/hugo-pingback/site"
	"github.com/hugo-pingback/hugo-pingback/state"
)

// ErrFlood is returned, before any request and before the records it
// weighed are written, when a run would notify more pages than
// Config.FloodLimit or send more notifications than
// Config.FloodNotifications, and Options.All was not given.
var ErrFlood = errors.New("stopped before sending: too many notifications for one run")

// ErrInterrupted is returned, with the report of what was done, when the
// run's context was cancelled (SIGINT, SIGTERM) while notifications were
// being sent. Those in flight are re-sent by the next run.
var ErrInterrupted = errors.New("interrupted; notifications in flight are re-sent by the next run")

// ErrNoPages is returned when the publish dir holds no HTML page at all: a
// missing build must never be mistaken for a site whose pages were all deleted.
var ErrNoPages = errors.New("no HTML pages found")

// Mode says what a run may do.
type Mode int

const (
	// ModeSend plans and delivers (the default).
	ModeSend Mode = iota
	// ModeDryRun plans and reports, makes no request and writes nothing.
	ModeDryRun
	// ModeBaseline records every current link as already handled, without any request.
	ModeBaseline
)

// PageInfo is what the Hugo site knows of one page (see site.PageInfo),
// laid over the built file with the same URL. Pages the Hugo site lists are
// the only sources when an overlay is given (Options.Pages non-nil). Its
// Links are final: send checks that the published file carries them, and
// never resolves or filters them again.
type PageInfo = site.PageInfo

// Options are the inputs of one run besides the Config.
type Options struct {
	Mode Mode
	// All lifts the flood guards.
	All bool
	// Verbose keeps, in Report.Skipped, every link of a changed page that
	// is not notified, and why.
	Verbose bool
	// Pages, when non-nil, is the Hugo site's page data: site.Pages in
	// memory, or a site.PagesFile, which the scan reads beside its walk.
	Pages site.PageSource
	// Logger receives diagnostics; nil is quiet.
	Logger *slog.Logger
	// Progress, when set, is called as jobs finish (done of total).
	Progress func(done, total int)
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Sender runs sends against one ledger with one HTTP client.
type Sender struct {
	cfg     config.Config
	exclude linkurl.Patterns
	ledger  ledger // nil in a dry run without a ledger
	client  *linkback.Client
	opts    Options
	log     *slog.Logger
	// memoryLimit is the runtime's soft memory limit before a --baseline
	// bound it, restored when the run ends; -1 when it did not.
	memoryLimit int64
}

// ledger is what a run reads and writes of the ledger: a *state.Ledger,
// or in tests one that fails where the test wants. Its errors name the
// ledger file already.
type ledger interface {
	Path() string
	FirstRun() (time.Time, bool, error)
	PageHeads(urls []string) ([]state.PageHead, error)
	LastRecord() (uint64, error)
	PagesNotIn(seen func(record uint64) bool) ([]string, error)
	Page(url string) (state.Page, bool, error)
	NotificationsFor(source string) ([]state.Notification, error)
	NotificationsWith(statuses ...state.Status) ([]state.Notification, error)
	Stats() (map[state.Status]int, error)
	Discovery(target string, now time.Time) (state.Discovery, bool, error)
	Feeds() (map[string]state.Feed, error)
	Commit(b *state.Batch) error
	CompactIfSparse(threshold float64) (state.Compaction, bool, error)
}

// New returns a Sender. cfg is completed with its defaults; ledger may be nil
// only in ModeDryRun (no ledger yet: every link is new).
func New(cfg config.Config, ledger *state.Ledger, client *linkback.Client, opts Options) (*Sender, error) {
	cfg = cfg.Resolved()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	exclude, err := linkurl.CompilePatterns(cfg.Exclude)
	if err != nil {
		return nil, fmt.Errorf("exclude: %w", err)
	}
	if ledger == nil && opts.Mode != ModeDryRun {
		return nil, errors.New("sender: a ledger is required unless dry-running")
	}
	for _, r := range cfg.SiteRoots() {
		if r.BaseURL == "" {
			return nil, fmt.Errorf("no base URL for %s: pass --base-url or set baseURL in the Hugo config", r.Dir)
		}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Sender{cfg: cfg, exclude: exclude, client: client, opts: opts, log: log, memoryLimit: -1}
	if ledger != nil { // a nil *state.Ledger must stay a nil interface
		s.ledger = ledger
	}
	return s, nil
}

// Run performs one send and returns its report. Remote answers are recorded
// in the report and the ledger, never returned as errors; an error means the
// run itself could not complete (unreadable site, ledger failure, flood guard).
//
// The stages run in turn, each returning its own counts: the scan hands
// each changed page to the plan as it goes, the plan commits its records
// and returns the jobs, the delivery sends them, and the services tell
// update services and WebSub hubs.
func (s *Sender) Run(ctx context.Context) (*Report, error) {
	defer s.unboundMemory()
	now := s.opts.Now()
	rep := &Report{Mode: s.opts.Mode.String(), Started: now, Items: []Item{}}
	fresh, err := s.fresh()
	if err != nil {
		return nil, err
	}
	pl := s.newPlanner(fresh, now)
	if err := pl.watchOpen(); err != nil {
		return nil, err
	}
	sc, err := s.scan(ctx, pl.page)
	if err != nil {
		return nil, err
	}
	rep.setScan(sc)
	// Only pages the ledger knew when the run began can have left.
	var scanned func(record uint64) bool
	if sc.lastRecord > 0 {
		scanned = sc.scanned
	}
	p, err := pl.finish(ctx, scanned)
	if err != nil {
		return nil, err
	}
	rep.setPlan(p)
	switch s.opts.Mode {
	case ModeDryRun:
		if len(p.Planned) > 0 {
			rep.Items = p.Planned
		}
		rep.Planned = len(p.Planned)
	case ModeSend:
		d, err := s.deliver(ctx, p)
		if err != nil {
			return nil, err
		}
		rep.setDelivery(d)
		if !rep.Interrupted {
			changed := rep.NewPages+rep.Changed+rep.Deleted > 0
			if rep.Services, err = s.services(ctx, changed, sc.feeds); err != nil {
				return nil, err
			}
		}
	}
	rep.Finished = s.opts.Now()
	if s.opts.Mode != ModeDryRun {
		stats, err := s.ledger.Stats()
		if err != nil {
			return rep, err
		}
		rep.Waiting = waitingFrom(stats)
		b := &state.Batch{Runs: []state.Run{{
			Started: rep.Started, Finished: rep.Finished, Command: s.opts.Mode.command(),
			Counts: rep.Counts(), Interrupted: rep.BudgetExhausted || rep.Interrupted, Stopped: rep.stopped(),
		}}}
		if err := s.ledger.Commit(b); err != nil {
			return rep, err
		}
		// A run that wrote much leaves the pages its commits freed: the
		// ledger a CI job caches or commits is kept dense. A baseline wrote
		// the ledger whole, and is compacted at a tenth unused.
		threshold := state.CompactThreshold
		if s.opts.Mode == ModeBaseline {
			threshold = baselineCompact
		}
		c, done, err := s.ledger.CompactIfSparse(threshold)
		if err != nil {
			return rep, err
		}
		if done {
			rep.Compacted = &Compaction{Before: c.Before, After: c.After}
		}
	}
	if rep.Interrupted {
		return rep, ErrInterrupted
	}
	return rep, nil
}

// baselineHeadroom is the memory a --baseline may use above what it holds
// of every page: the batch it fills, the commit under way, the scan's
// window, and their garbage.
const baselineHeadroom = 64 << 20

// boundMemory, in a --baseline on a large site, sets the runtime's soft
// memory limit to what the run holds of every page plus
// baselineHeadroom, unless the user set one (GOMEMLIMIT). A baseline holds
// nothing else for long, so this costs no time, while the default, a heap
// twice the last one found live, lets garbage double its footprint. A run
// that sends is not bound: what it holds grows with what it sends.
func (s *Sender) boundMemory() {
	if s.opts.Mode != ModeBaseline || debug.SetMemoryLimit(-1) != math.MaxInt64 {
		return
	}
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	s.memoryLimit = debug.SetMemoryLimit(int64(sample[0].Value.Uint64()) + baselineHeadroom)
}

// unboundMemory restores the limit boundMemory replaced.
func (s *Sender) unboundMemory() {
	if s.memoryLimit >= 0 {
		debug.SetMemoryLimit(s.memoryLimit)
		s.memoryLimit = -1
	}
}

// fresh reports whether no run was ever recorded in the ledger: the first
// run on a site. A run the flood guard stopped records none, so the next
// one is still the first.
func (s *Sender) fresh() (bool, error) {
	if s.ledger == nil {
		return true, nil
	}
	_, ok, err := s.ledger.FirstRun()
	return !ok, err
}

// baselineCompact is the share of unused pages from which a --baseline
// compacts the ledger.
const baselineCompact = 0.1

// command is how the run appears in the ledger's run log.
func (m Mode) command() string {
	if m == ModeSend {
		return "send"
	}
	return "send --" + m.String()
}

func (m Mode) String() string {
	switch m {
	case ModeDryRun:
		return "dry-run"
	case ModeBaseline:
		return "baseline"
	default:
		return "send"
	}
}
