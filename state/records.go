package state

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// MaxText is how many bytes of Notification.Answer and Notification.LastError
// Commit keeps; longer texts are cut on a UTF-8 boundary.
const MaxText = 1024

// maxKeyLen is bbolt's key limit; a URL longer than that cannot be a key.
const maxKeyLen = bolt.MaxKeySize

// Page is what the ledger knows about one published page, keyed by its URL.
type Page struct {
	URL       string    // public URL of the page (the key)
	File      string    // slash path of the built file relative to its publish root
	Hash      string    // hash of the file bytes at the last scan, chosen by the caller
	Links     []string  // notifiable outbound links at the last scan, sorted
	Targets   []string  // every target this page ever notified or attempted, sorted; Commit unions it with the stored set
	Title     string    // page title at the last scan
	Published time.Time // publication date the page declares, if any
	FirstSeen time.Time // first scan that found the page; Commit keeps the stored one
	LastSeen  time.Time // last scan that found the page
	Deleted   bool      // the page left the site (its record is kept for Webmention deletes)
	DeletedAt time.Time // when the page was first found missing
}

// Status is the state of one notification.
type Status string

// The statuses of a notification. Only StatusInFlight, StatusPending,
// StatusRetry and StatusDeferred are unsettled; the sender decides when to
// try those again.
const (
	StatusPending    Status = "pending"     // planned, not tried yet
	StatusInFlight   Status = "in-flight"   // marked before sending; if found on open, the run died mid-send
	StatusNotified   Status = "notified"    // done (incl. pingback fault 48 "already registered")
	StatusNoEndpoint Status = "no-endpoint" // target advertises no protocol we speak
	StatusFailed     Status = "failed"      // permanent failure
	StatusRetry      Status = "retry"       // transient failure, try again at NextAttempt
	StatusBaseline   Status = "baseline"    // recorded as handled by --baseline, never sent
	StatusDeferred   Status = "deferred"    // source page not live yet; retried next run, no attempt counted
	StatusSkipped    Status = "skipped"     // excluded (self-ping etc.); reason in LastError
)

// Statuses lists every Status in the order `status` reports them.
var Statuses = []Status{
	StatusPending, StatusInFlight, StatusNotified, StatusNoEndpoint, StatusFailed,
	StatusRetry, StatusBaseline, StatusDeferred, StatusSkipped,
}

// Valid reports whether s is one of the statuses above.
func (s Status) Valid() bool { return slices.Contains(Statuses, s) }

// Notification is the outcome of notifying Target that Source links to it,
// keyed by the pair.
type Notification struct {
	Source        string    `json:"source"`                  // URL of the linking page
	Target        string    `json:"target"`                  // URL linked to, as written on the source page
	Protocol      string    `json:"protocol,omitempty"`      // "pingback", "webmention", "trackback", or "" before discovery
	Endpoint      string    `json:"endpoint,omitempty"`      // endpoint that served (or will serve) the notification
	Status        Status    `json:"status"`                  // where the notification stands
	Attempts      int       `json:"attempts"`                // attempts made that counted towards the retry limit
	NextAttempt   time.Time `json:"next_attempt,omitzero"`   // for StatusRetry: not before this time
	LastError     string    `json:"last_error,omitempty"`    // why, in words (truncated to MaxText by Commit)
	Code          int       `json:"code,omitempty"`          // last fault code or HTTP status
	Answer        string    `json:"answer,omitempty"`        // receiver's answer text (truncated to MaxText by Commit)
	Location      string    `json:"location,omitempty"`      // Webmention 201 Location header
	Version       string    `json:"version,omitempty"`       // the source Page.Hash this notification reflects
	Sends         int       `json:"sends"`                   // how many times it was actually delivered
	Created       time.Time `json:"created"`                 // first commit of this pair; Commit keeps the stored one
	Updated       time.Time `json:"updated"`                 // last commit; Commit sets it to now when zero
	NotifiedAt    time.Time `json:"notified_at,omitzero"`    // last successful delivery
	DeferredSince time.Time `json:"deferred_since,omitzero"` // since when the source was found not live, for StatusDeferred
}

// Discovery is the cached result of fetching a target to find its
// endpoints. Only successful fetches are cached: a failed one is recorded,
// with its reason, on the notification that needed it.
type Discovery struct {
	Target     string    // URL as linked (the key)
	Final      string    // URL after redirects
	Pingback   string    // pingback endpoint, "" when none
	Webmention string    // webmention endpoint, "" when none
	Trackback  string    // trackback ping URL, "" when none
	Fetched    time.Time // when the target was fetched; Commit sets it to now when zero
	Expires    time.Time // Ledger.Discovery ignores the entry from then on; zero means already expired
}

// Feed is what the ledger knows about one feed of the site (RSS or Atom),
// keyed by its URL: only the hash of the bytes whose news the WebSub hub
// was last given, so a changed feed is told once.
type Feed struct {
	URL       string    // public URL of the feed (the key)
	File      string    // slash path of the built file relative to its publish root
	Hash      string    // hash of the bytes the hub was told of, chosen by the caller
	FirstSeen time.Time // first commit of the feed; Commit keeps the stored one when zero
	LastSeen  time.Time // last commit; Commit sets it to now when zero
}

// Run records one invocation of the tool.
type Run struct {
	ID          uint64         `json:"id"`          // sequence number; Commit assigns one when zero
	Started     time.Time      `json:"started"`     // when the run began
	Finished    time.Time      `json:"finished"`    // zero while the run is going, or if it died
	Command     string         `json:"command"`     // e.g. "send --baseline"
	Counts      map[string]int `json:"counts"`      // summary counts (notified, failed, ...)
	Interrupted bool           `json:"interrupted"` // the run stopped early (budget, signal)
	// Stopped says why an Interrupted run stopped: StoppedBudget or
	// StoppedSignal; empty in runs recorded before it was kept.
	Stopped string `json:"stopped,omitempty"`
}

// Why an interrupted run stopped (Run.Stopped).
const (
	StoppedBudget = "time budget"
	StoppedSignal = "interrupted"
)

// notificationKey is source NUL target: all notifications of one source are
// adjacent and sorted by target, so NotificationsFor is one prefix scan.
func notificationKey(source, target string) []byte {
	k := make([]byte, 0, len(source)+1+len(target))
	k = append(k, source...)
	k = append(k, 0)
	return append(k, target...)
}

// splitNotificationKey is the inverse of notificationKey.
func splitNotificationKey(k []byte) (source, target string, ok bool) {
	i := bytes.IndexByte(k, 0)
	if i < 0 {
		return "", "", false
	}
	return string(k[:i]), string(k[i+1:]), true
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && i > n-utf8.UTFMax && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// sortedSet returns the sorted, de-duplicated union of a and b, without
// empty strings, in a new slice (nil when empty).
func sortedSet(a, b []string) []string {
	if len(a)+len(b) == 0 {
		return nil
	}
	out := make([]string, 0, len(a)+len(b))
	for _, s := range a {
		if s != "" {
			out = append(out, s)
		}
	}
	for _, s := range b {
		if s != "" {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) == 0 {
		return nil
	}
	return slices.Clip(out)
}

// checkKey validates a URL used as (part of) a key.
func checkKey(what, s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%w: empty %s", ErrInvalidRecord, what)
	case strings.IndexByte(s, 0) >= 0:
		return fmt.Errorf("%w: %s %q contains a NUL byte", ErrInvalidRecord, what, s)
	case len(s) > maxKeyLen/2:
		return fmt.Errorf("%w: %s of %d bytes is too long", ErrInvalidRecord, what, len(s))
	}
	return nil
}
