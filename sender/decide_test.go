package sender

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hugo-pingback/hugo-pingback/site"
	"github.com/hugo-pingback/hugo-pingback/state"
)

// The decision is tested as a table, without a ledger or a network: the
// page as the ledger knew it, the page as this build has it, the rules, and
// what must come of it.

const src = "https://blog.example/p/"

var (
	decideNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	old       = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
)

// wm is a notification sent by Webmention at version "v1".
func wm(target string, s state.Status) state.Notification {
	n := state.Notification{Source: src, Target: target, Status: s, Protocol: "webmention", Version: "v1"}
	if s == state.StatusNotified {
		n.NotifiedAt = old
	}
	return n
}

// pb is a notification sent by pingback at version "v1".
func pb(target string, s state.Status) state.Notification {
	n := state.Notification{Source: src, Target: target, Status: s, Protocol: "pingback", Version: "v1"}
	if s == state.StatusNotified {
		n.NotifiedAt = old
	}
	return n
}

// pending is a notification planned, never tried, discovered nothing yet.
func pending(target string) state.Notification {
	return state.Notification{Source: src, Target: target, Status: state.StatusPending, Version: "v1"}
}

// built is a changed page of this build linking to targets, published at p.
func built(version string, published time.Time, targets ...string) *scannedPage {
	return &scannedPage{
		file: site.File{URL: src, Rel: "p/index.html"}, hash: "h2", changed: true, source: true,
		links: targets, version: version, published: published,
	}
}

// outcome is a decision written down for comparison: each record as
// "target status[: why]", each job as "target kind", and the counts.
type outcome struct {
	records []string
	jobs    []string
	counts  string // new baselined self excluded updates
}

// inFlight is n as a killed run left it: marked in flight, and sent once.
func inFlight(n state.Notification) state.Notification {
	n.Status, n.Sends = state.StatusInFlight, 1
	return n
}

func summarize(d decision) outcome {
	var o outcome
	for _, n := range d.records {
		s := n.Target + " " + string(n.Status)
		if n.LastError != "" {
			s += ": " + n.LastError
		}
		o.records = append(o.records, s)
	}
	for _, j := range d.jobs {
		o.jobs = append(o.jobs, j.n.Target+" "+j.kind)
	}
	slices.Sort(o.records)
	slices.Sort(o.jobs)
	o.counts = fmt.Sprintf("new %d baselined %d self %d excluded %d updates %d", d.newLinks, d.baselined, d.selfPings, d.excluded, d.updates)
	return o
}

func TestDecide(t *testing.T) {
	excl := func(target string) string {
		switch {
		case strings.Contains(target, "self.example"):
			return reasonSelfPing
		case strings.Contains(target, "x.example"):
			return "excluded by x.example"
		}
		return ""
	}
	send := rules{mode: ModeSend, now: decideNow, excluded: excl}
	baseline := rules{mode: ModeBaseline, now: decideNow, excluded: excl}
	dated := rules{mode: ModeSend, now: decideNow, excluded: excl, since: decideNow.AddDate(0, 0, -14), sinceWhy: "published before the cut-off"}
	tests := []struct {
		name   string
		before []state.Notification
		page   *scannedPage
		rules  rules
		want   outcome
	}{
		{
			// A new page: every link is new and sends.
			name:  "new page",
			page:  built("v1", decideNow, "https://a.example/", "https://b.example/"),
			rules: send,
			want: outcome{
				records: []string{"https://a.example/ pending", "https://b.example/ pending"},
				jobs:    []string{"https://a.example/ new", "https://b.example/ new"},
				counts:  "new 2 baselined 0 self 0 excluded 0 updates 0",
			},
		},
		{
			// Links already recorded are not decided again.
			name:   "known links",
			before: []state.Notification{pb("https://a.example/", state.StatusNotified)},
			page:   built("v2", decideNow, "https://a.example/", "https://b.example/"),
			rules:  send,
			want: outcome{
				records: []string{"https://b.example/ pending"},
				jobs:    []string{"https://b.example/ new"},
				counts:  "new 1 baselined 0 self 0 excluded 0 updates 0",
			},
		},
		{
			// Self-pings and excluded targets are recorded as skipped, with why.
			name:  "excluded and self",
			page:  built("v1", decideNow, "https://self.example/a/", "https://x.example/b"),
			rules: send,
			want: outcome{
				records: []string{"https://self.example/a/ skipped: " + reasonSelfPing, "https://x.example/b skipped: excluded by x.example"},
				counts:  "new 0 baselined 0 self 1 excluded 1 updates 0",
			},
		},
		{
			// --baseline records every new link as handled and re-sends nothing.
			name:   "baseline",
			before: []state.Notification{wm("https://w.example/", state.StatusNotified)},
			page:   built("v2", decideNow, "https://a.example/"),
			rules:  baseline,
			want: outcome{
				records: []string{"https://a.example/ baseline"},
				counts:  "new 0 baselined 1 self 0 excluded 0 updates 0",
			},
		},
		{
			// A page published before the date limit is baselined, with why.
			name:  "before the date limit",
			page:  built("v1", old, "https://a.example/"),
			rules: dated,
			want: outcome{
				records: []string{"https://a.example/ baseline: published before the cut-off"},
				counts:  "new 0 baselined 1 self 0 excluded 0 updates 0",
			},
		},
		{
			// A page without a date cannot be shown to be recent: baselined.
			name:  "no date under a date limit",
			page:  built("v1", time.Time{}, "https://a.example/"),
			rules: dated,
			want: outcome{
				records: []string{"https://a.example/ baseline: published before the cut-off"},
				counts:  "new 0 baselined 1 self 0 excluded 0 updates 0",
			},
		},
		{
			// A recent page under the date limit sends.
			name:  "after the date limit",
			page:  built("v1", decideNow.AddDate(0, 0, -1), "https://a.example/"),
			rules: dated,
			want: outcome{
				records: []string{"https://a.example/ pending"},
				jobs:    []string{"https://a.example/ new"},
				counts:  "new 1 baselined 0 self 0 excluded 0 updates 0",
			},
		},
		{
			// Links changed: a Webmention target hears again (update 1); a
			// pingback target does not (no update semantics).
			name:   "webmention update",
			before: []state.Notification{wm("https://w.example/", state.StatusNotified), pb("https://p.example/", state.StatusNotified)},
			page:   built("v2", decideNow, "https://w.example/", "https://p.example/", "https://n.example/"),
			rules:  send,
			want: outcome{
				records: []string{"https://n.example/ pending", "https://w.example/ pending"},
				jobs:    []string{"https://n.example/ new", "https://w.example/ update"},
				counts:  "new 1 baselined 0 self 0 excluded 0 updates 1",
			},
		},
		{
			// A removed link: its Webmention target hears (update 2); a
			// waiting pingback is cancelled; a sent pingback stays as it is.
			name: "removed links",
			before: []state.Notification{
				wm("https://w.example/", state.StatusNotified),
				pb("https://done.example/", state.StatusNotified),
				pb("https://retry.example/", state.StatusRetry),
			},
			page:  built("v2", decideNow),
			rules: send,
			want: outcome{
				records: []string{"https://retry.example/ skipped: " + whyLinkRemoved, "https://w.example/ pending"},
				jobs:    []string{"https://w.example/ update"},
				counts:  "new 0 baselined 0 self 0 excluded 0 updates 1",
			},
		},
		{
			// A removed link whose first Webmention a killed run left in
			// flight after sending: it may have arrived, so its target hears
			// (an update); a pingback in flight, which has no update, and a
			// Webmention never sent are cancelled.
			name: "removed links, in flight",
			before: []state.Notification{
				inFlight(wm("https://w.example/", state.StatusInFlight)),
				inFlight(pb("https://p.example/", state.StatusInFlight)),
				wm("https://unsent.example/", state.StatusInFlight),
			},
			page:  built("v2", decideNow),
			rules: send,
			want: outcome{
				records: []string{"https://p.example/ skipped: " + whyLinkRemoved, "https://unsent.example/ skipped: " + whyLinkRemoved, "https://w.example/ pending"},
				jobs:    []string{"https://w.example/ update"},
				counts:  "new 0 baselined 0 self 0 excluded 0 updates 1",
			},
		},
		{
			// An open Webmention update keeps its course though its link went away.
			name:   "open update kept",
			before: []state.Notification{{Source: src, Target: "https://w.example/", Status: state.StatusRetry, Protocol: "webmention", Version: "v1", NotifiedAt: old}},
			page:   built("v2", decideNow),
			rules:  send,
			want:   outcome{counts: "new 0 baselined 0 self 0 excluded 0 updates 0"},
		},
		{
			// The same links (a theme edit): nothing to do.
			name:   "same links",
			before: []state.Notification{wm("https://w.example/", state.StatusNotified)},
			page:   built("v1", decideNow, "https://w.example/"),
			rules:  send,
			want:   outcome{counts: "new 0 baselined 0 self 0 excluded 0 updates 0"},
		},
		{
			// A page that no longer sends (opted out): waiting notifications
			// are cancelled, sent ones are left alone.
			name:   "page opted out",
			before: []state.Notification{pending("https://a.example/"), pb("https://b.example/", state.StatusNotified)},
			page: &scannedPage{file: site.File{URL: src, Rel: "p/index.html"}, changed: true,
				skip: "pingback: false in front matter"},
			rules: send,
			want: outcome{
				records: []string{"https://a.example/ skipped: the page no longer sends (pingback: false in front matter)"},
				counts:  "new 0 baselined 0 self 0 excluded 0 updates 0",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decide(tt.page, before{known: tt.before != nil, notifications: tt.before}, tt.rules)
			got := summarize(d)
			if !slices.Equal(got.records, tt.want.records) || !slices.Equal(got.jobs, tt.want.jobs) || got.counts != tt.want.counts {
				t.Errorf("decision:\n records %q\n jobs    %q\n %s\nwant:\n records %q\n jobs    %q\n %s",
					got.records, got.jobs, got.counts, tt.want.records, tt.want.jobs, tt.want.counts)
			}
			if d.page == nil || d.page.URL != src || d.page.Hash != tt.page.hash {
				t.Errorf("page record %+v, want the page with its new hash", d.page)
			}
			// The page remembers every target it tries.
			var tried []string
			for _, j := range d.jobs {
				if j.kind == KindNew {
					tried = append(tried, j.n.Target)
				}
			}
			if !slices.Equal(d.page.Targets, tried) {
				t.Errorf("page targets %v, want the new targets sent %v", d.page.Targets, tried)
			}
		})
	}
}

func TestDecideGone(t *testing.T) {
	tests := []struct {
		name   string
		before []state.Notification
		rules  rules
		want   outcome
	}{
		{
			// Delete 1: every Webmention target hears; a waiting pingback is
			// cancelled; a sent pingback is left alone.
			name: "deleted page",
			before: []state.Notification{
				wm("https://w.example/", state.StatusNotified),
				pb("https://done.example/", state.StatusNotified),
				pending("https://later.example/"),
			},
			rules: rules{mode: ModeSend, now: decideNow},
			want: outcome{
				records: []string{"https://later.example/ skipped: " + whyPageDeleted, "https://w.example/ pending"},
				jobs:    []string{"https://w.example/ delete"},
				counts:  "new 0 baselined 0 self 0 excluded 0 updates 1",
			},
		},
		{
			// A first Webmention a killed run left in flight after sending
			// may have arrived: its target hears of the deletion.
			name:   "deleted, webmention in flight",
			before: []state.Notification{inFlight(wm("https://w.example/", state.StatusInFlight)), inFlight(pb("https://p.example/", state.StatusInFlight))},
			rules:  rules{mode: ModeSend, now: decideNow},
			want: outcome{
				records: []string{"https://p.example/ skipped: " + whyPageDeleted, "https://w.example/ pending"},
				jobs:    []string{"https://w.example/ delete"},
				counts:  "new 0 baselined 0 self 0 excluded 0 updates 1",
			},
		},
		{
			// A baseline takes the deletion as handled: nothing is sent.
			name:   "deleted under baseline",
			before: []state.Notification{wm("https://w.example/", state.StatusNotified)},
			rules:  rules{mode: ModeBaseline, now: decideNow},
			want:   outcome{counts: "new 0 baselined 0 self 0 excluded 0 updates 0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decideGone(src, before{known: true, notifications: tt.before}, tt.rules)
			got := summarize(d)
			if !slices.Equal(got.records, tt.want.records) || !slices.Equal(got.jobs, tt.want.jobs) || got.counts != tt.want.counts {
				t.Errorf("decision:\n records %q\n jobs    %q\n %s\nwant:\n records %q\n jobs    %q\n %s",
					got.records, got.jobs, got.counts, tt.want.records, tt.want.jobs, tt.want.counts)
			}
			if d.gone != src || d.page != nil {
				t.Errorf("gone %q, page %+v; want the page marked deleted", d.gone, d.page)
			}
			for _, j := range d.jobs {
				if j.n.Version != deletedVersion {
					t.Errorf("delete of %s at version %q, want %q", j.n.Target, j.n.Version, deletedVersion)
				}
			}
		})
	}
}

func TestOpenKind(t *testing.T) {
	tests := []struct {
		name string
		n    state.Notification
		want string
	}{
		// A Webmention delete stays a delete through retries.
		{"delete", state.Notification{Protocol: "webmention", Version: deletedVersion, Status: state.StatusRetry}, KindDelete},
		// A Webmention sent before and due again is an update.
		{"update", state.Notification{Protocol: "webmention", NotifiedAt: old, Status: state.StatusPending}, KindUpdate},
		// A pingback sent before is never an update: a re-send after a crash.
		{"pingback in flight", state.Notification{Protocol: "pingback", NotifiedAt: old, Status: state.StatusInFlight}, KindResend},
		// Never tried.
		{"pending", state.Notification{Status: state.StatusPending}, KindNew},
		// Failed for a passing reason.
		{"retry", state.Notification{Protocol: "pingback", Status: state.StatusRetry}, KindRetry},
	}
	for _, tt := range tests {
		if got := openKind(tt.n); got != tt.want {
			t.Errorf("%s: openKind = %q, want %q", tt.name, got, tt.want)
		}
	}
}
