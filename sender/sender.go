package sender

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hugo-pingback/hugo-pingback/config"
	"github.com/hugo-pingback/hugo-pingback/linkback"
	"github.com/hugo-pingback/hugo-pingback/linkurl"
	"github.com/hugo-pingback/hugo-pingback/site"
	"github.com/hugo-pingback/hugo-pingback/state"
)

// ErrFlood is returned, before any request, when a run on a site the ledger
// has never seen would notify more pages than Config.FloodLimit.
var ErrFlood = errors.New("first run would notify too many pages")

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
	// All lifts the first-run flood guard.
	All bool
	// Pages, when non-nil, is the Hugo site's page data keyed by URL.
	Pages map[string]PageInfo
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
	ledger  *state.Ledger
	client  *linkback.Client
	opts    Options
	log     *slog.Logger
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
	return &Sender{cfg: cfg, exclude: exclude, ledger: ledger, client: client, opts: opts, log: log}, nil
}

// Run performs one send and returns its report. Remote answers are recorded
// in the report and the ledger, never returned as errors; an error means the
// run itself could not complete (unreadable site, ledger failure, flood guard).
func (s *Sender) Run(ctx context.Context) (*Report, error) {
	rep := &Report{Mode: s.opts.Mode.String(), Started: s.opts.Now(), Items: []Item{}}
	known, err := s.knownPages()
	if err != nil {
		return nil, err
	}
	pages, feeds, err := s.scan(ctx, known, rep)
	if err != nil {
		return nil, err
	}
	p, err := s.plan(ctx, pages, known, rep)
	if err != nil {
		return nil, err
	}
	if s.opts.Mode == ModeSend {
		if err := s.deliver(ctx, p, rep); err != nil {
			return nil, err
		}
		if !rep.Interrupted {
			if err := s.services(ctx, known, feeds, rep); err != nil {
				return nil, err
			}
		}
	}
	rep.Finished = s.opts.Now()
	if s.opts.Mode != ModeDryRun {
		b := &state.Batch{Runs: []state.Run{{
			Started: rep.Started, Finished: rep.Finished, Command: s.opts.Mode.command(),
			Counts: rep.Counts(), Interrupted: rep.BudgetExhausted || rep.Interrupted,
		}}}
		if err := s.ledger.Commit(b); err != nil {
			return rep, fmt.Errorf("record run in %s: %w", s.ledger.Path(), err)
		}
	}
	if rep.Interrupted {
		return rep, ErrInterrupted
	}
	return rep, nil
}

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

func (s *Sender) knownPages() (map[string]state.Page, error) {
	if s.ledger == nil {
		return map[string]state.Page{}, nil
	}
	known, err := s.ledger.Pages()
	if err != nil {
		return nil, fmt.Errorf("read ledger %s: %w", s.ledger.Path(), err)
	}
	return known, nil
}
