package mention

import (
	"context"
	"errors"
	"time"
)

// ID identifies a mention within a store; it never changes and is never
// reused. It is the jf2 "wm-id".
type ID int64

// State is where a mention stands in moderation.
type State string

// The moderation states. Only approved mentions are ever shown or exported.
const (
	Pending  State = "pending"  // waits for a moderator
	Approved State = "approved" // shown under the target page
	Spam     State = "spam"     // kept, hidden, its Reason says why
	Deleted  State = "deleted"  // the source removed its link or is gone (404/410); kept, hidden
)

// States lists every State, in the order the CLI shows them.
var States = []State{Pending, Approved, Spam, Deleted}

// Protocol is how a mention arrived.
type Protocol string

// The protocols a receiver takes.
const (
	Pingback   Protocol = "pingback"
	Webmention Protocol = "webmention"
	Trackback  Protocol = "trackback"
)

// Type is what the source says about the target, from its h-entry
// (microformats2): in-reply-to is a reply, like-of a like, and so on.
// Without an h-entry, or without any of those properties, it is a mention.
type Type string

// The mention types, and the jf2 wm-property each maps to (see Property).
const (
	Reply    Type = "reply"    // in-reply-to
	Like     Type = "like"     // like-of
	Repost   Type = "repost"   // repost-of
	Bookmark Type = "bookmark" // bookmark-of
	RSVP     Type = "rsvp"     // rsvp
	Mentions Type = "mention"  // mention-of
)

// Property returns the jf2 wm-property of a type.
func (t Type) Property() string {
	switch t {
	case Reply:
		return "in-reply-to"
	case Like:
		return "like-of"
	case Repost:
		return "repost-of"
	case Bookmark:
		return "bookmark-of"
	case RSVP:
		return "rsvp"
	}
	return "mention-of"
}

// Author is the h-card of a source's h-entry (or what a Trackback's
// blog_name says).
type Author struct {
	Name  string `json:"name,omitempty"`
	URL   string `json:"url,omitempty"`
	Photo string `json:"photo,omitempty"`
}

// Content is what a source says, sanitised: HTML with no script, style or
// event handler, and the same as plain text.
type Content struct {
	HTML string `json:"html,omitempty"`
	Text string `json:"text,omitempty"`
}

// Mention is one source page's mention of one target page. A source and a
// target make one mention: a new request for the same pair updates it.
//
// Its JSON form is what `hugo-pingback mentions list --json` prints and the
// admin API serves. ClientIP is for rate limits and moderation only: it is
// in the admin form and never in jf2 or anything a site shows.
type Mention struct {
	ID       ID       `json:"id"`
	Source   string   `json:"source"`
	Target   string   `json:"target"`
	Protocol Protocol `json:"protocol"`
	State    State    `json:"state"`
	Type     Type     `json:"type"`
	// Reason says in words why the mention is spam, pending or deleted
	// ("source copies 83% of the target's text", "held: first mention from
	// this host", "source answered 410 Gone").
	Reason string `json:"reason,omitempty"`

	Received time.Time `json:"received"`          // first request
	Updated  time.Time `json:"updated,omitzero"`  // last request that changed it
	Verified time.Time `json:"verified,omitzero"` // last successful verification
	ClientIP string    `json:"client_ip,omitempty"`

	// What the source says (its h-entry, else its <title> and the text
	// around the link, as WordPress shows a pingback).
	Author    Author    `json:"author"`
	URL       string    `json:"url,omitempty"` // the h-entry's url, else Source
	Published time.Time `json:"published,omitzero"`
	Name      string    `json:"name,omitempty"`
	Content   Content   `json:"content"`
	Excerpt   string    `json:"excerpt,omitempty"` // plain text, at most ~300 characters
	RSVP      string    `json:"rsvp,omitempty"`    // yes, no, maybe, interested
}

// RequestState is where a received request stands.
type RequestState string

// The request states. Queued requests survive a restart and are verified
// when the receiver starts again.
const (
	Queued   RequestState = "queued"   // committed, not verified yet (or waiting to retry)
	Accepted RequestState = "accepted" // verified: Request.Mention holds the mention it made or updated
	Refused  RequestState = "refused"  // verification failed for good: Request.Result says why
)

// Request is one notification as it arrived, before and after verification.
// A Webmention's status URL shows it; Pingback and Trackback requests are
// kept too, for the same record of what was asked and answered.
type Request struct {
	ID       string       `json:"id"` // random, unguessable: it is in the status URL
	Source   string       `json:"source"`
	Target   string       `json:"target"`
	Protocol Protocol     `json:"protocol"`
	ClientIP string       `json:"client_ip,omitempty"`
	Received time.Time    `json:"received"`
	State    RequestState `json:"state"`
	// Result says in words what became of it ("the source does not link to
	// the target", "approved", "held for moderation").
	Result string `json:"result,omitempty"`
	// Mention is the mention it made or updated, once accepted.
	Mention ID `json:"mention,omitempty"`
	// Attempts and NextAttempt schedule a verification that failed for a
	// passing reason (the source timed out or answered 5xx).
	Attempts    int       `json:"attempts,omitempty"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	// What a Trackback sender said of its own post (unverified).
	Title    string `json:"title,omitempty"`
	Excerpt  string `json:"excerpt,omitempty"`
	BlogName string `json:"blog_name,omitempty"`
}

// Filter selects mentions. The zero Filter selects all.
type Filter struct {
	States []State // any of these; none means every state
	Target string  // only mentions of this target (compared with linkurl.Same)
	Source string  // only mentions from this source
	Since  ID      // only mentions with a greater ID
	Limit  int     // at most this many, in ID order; 0 means no limit
}

// Errors a caller can test with errors.Is.
var (
	ErrNotFound = errors.New("no such mention")
	ErrLocked   = errors.New("mention store is in use by another process")
	ErrCorrupt  = errors.New("mention store is corrupt or not a hugo-pingback mention store")
	ErrSchema   = errors.New("mention store was written by a newer hugo-pingback")
)

// Store keeps mentions and requests. Every method that writes is durable
// when it returns: a receiver answers 202 only after Enqueue returned.
// Implementations are safe for concurrent use.
type Store interface {
	// Enqueue commits a new request, assigning its ID, State Queued and,
	// when zero, Received.
	Enqueue(ctx context.Context, r *Request) error
	// Request returns the request with that ID.
	Request(ctx context.Context, id string) (Request, error)
	// Queued returns the requests still to verify, oldest first.
	Queued(ctx context.Context) ([]Request, error)
	// Settle records the outcome of verifying r in one transaction: the
	// request's new state, and, when m is not nil, the mention it creates or
	// updates (matched by source and target; m.ID is set on return).
	Settle(ctx context.Context, r *Request, m *Mention) error

	// Mention returns one mention by ID (ErrNotFound when there is none).
	Mention(ctx context.Context, id ID) (Mention, error)
	// Find returns the mention of target by source, if there is one.
	Find(ctx context.Context, source, target string) (Mention, bool, error)
	// Mentions returns the mentions f selects, in ID order.
	Mentions(ctx context.Context, f Filter) ([]Mention, error)
	// Moderate sets the state (and reason) of the mentions with these IDs
	// and returns them as they now are. An unknown ID is ErrNotFound and
	// changes nothing.
	Moderate(ctx context.Context, ids []ID, st State, reason string) ([]Mention, error)
	// HasApproved reports whether any mention from a source on host is
	// approved (moderation "unknown" approves such hosts' mentions).
	HasApproved(ctx context.Context, host string) (bool, error)
	// Block adds a host to the deny list kept in the store (beside the
	// config's), and marks its pending mentions spam; Blocked lists them.
	Block(ctx context.Context, host string) error
	Blocked(ctx context.Context) ([]string, error)

	Close() error
}
