package mention

import (
	"context"
	"fmt"
	"strings"

	"github.com/hugo-pingback/hugo-pingback/linkurl"
)

// Moderation says which verified mentions wait for a moderator.
type Moderation string

// The moderation modes of `serve --moderate`.
const (
	// ModerateUnknown approves a mention when its source host already has an
	// approved mention, and holds the first one from a host (WordPress's
	// "comment author must have a previously approved comment"). The default.
	ModerateUnknown Moderation = "unknown"
	// ModerateAll holds every mention for a moderator.
	ModerateAll Moderation = "all"
	// ModerateNone approves every mention that passed verification.
	ModerateNone Moderation = "none"
)

// ParseModeration reads a --moderate value; "" is ModerateUnknown.
func ParseModeration(s string) (Moderation, error) {
	switch m := Moderation(strings.ToLower(strings.TrimSpace(s))); m {
	case "":
		return ModerateUnknown, nil
	case ModerateUnknown, ModerateAll, ModerateNone:
		return m, nil
	}
	return "", fmt.Errorf("moderate %q: want all, unknown or none", s)
}

// Policy decides the state of a verified mention. The zero Policy
// moderates "unknown" with no allow or deny rules.
//
// Allow and Deny hold host patterns, from [params.pingback.receive] allow
// and deny, in linkurl's pattern language without a path: "blog.example.org"
// matches that host, "*.spam.example" matches spam.example and every
// sub-domain, "*" stays within one label and "**" spans labels. Hosts
// compare without case and without a trailing dot.
type Policy struct {
	Moderate Moderation
	Allow    []string
	Deny     []string

	allow, deny linkurl.Patterns // compiled by NewPolicy
}

// Validate checks the mode and every rule; the error names the bad one.
func (p Policy) Validate() error {
	_, _, err := p.compile()
	return err
}

func (p Policy) compile() (allow, deny linkurl.Patterns, err error) {
	if p.Moderate != "" {
		if _, err := ParseModeration(string(p.Moderate)); err != nil {
			return nil, nil, err
		}
	}
	lists := []struct {
		name  string
		rules []string
		into  *linkurl.Patterns
	}{{"allow", p.Allow, &allow}, {"deny", p.Deny, &deny}}
	for _, l := range lists {
		for _, r := range l.rules {
			if strings.ContainsAny(strings.TrimSpace(r), "/:") {
				return nil, nil, fmt.Errorf("%s rule %q: want a host pattern such as *.spam.example (no scheme, port or path)", l.name, r)
			}
			pat, err := linkurl.CompilePattern(strings.TrimSuffix(strings.TrimSpace(r), "."))
			if err != nil {
				return nil, nil, fmt.Errorf("%s rule: %w", l.name, err)
			}
			*l.into = append(*l.into, pat)
		}
	}
	return allow, deny, nil
}

// NewPolicy returns a validated Policy with its patterns compiled once.
func NewPolicy(mode Moderation, allow, deny []string) (Policy, error) {
	p := Policy{Moderate: mode, Allow: allow, Deny: deny}
	var err error
	p.allow, p.deny, err = p.compile()
	return p, err
}

// The reasons Decide gives, as the admin page and `mentions list` show them.
const (
	reasonDenied = "denied host (rule %s)"
	reasonHeld   = "held: first mention from %s"
	reasonAll    = "held: every mention is moderated (--moderate all)"
)

// Decide returns the state and reason for m, a verified mention about to
// be stored (the receiver calls it before Settle). In order:
//
//   - m.State already Spam or Deleted (the receiver's scraper verdict, a
//     source gone): kept, with m.Reason;
//   - the source host matches a Deny rule: Spam, "denied host (rule R)";
//     blocked in the store (Block): Spam, "blocked host";
//   - an earlier version of the mention a moderator marked spam stays
//     spam, and one already approved stays approved: moderation is of the
//     source, not of each edit;
//   - the host matches an Allow rule: Approved;
//   - then Moderate: none approves; all holds ("held: every mention is
//     moderated"); unknown approves when the host has an approved mention,
//     else holds: "held: first mention from HOST".
func (p Policy) Decide(ctx context.Context, s Store, m *Mention) (State, string, error) {
	if m.State == Spam || m.State == Deleted {
		return m.State, m.Reason, nil
	}
	host := sourceHost(m.Source)
	if host == "" {
		return "", "", fmt.Errorf("decide on mention: %w: source %q is not an absolute http(s) URL", ErrInvalid, m.Source)
	}
	allow, deny, err := p.patterns()
	if err != nil {
		return "", "", err
	}
	if r := matchHost(deny, host); r != nil {
		return Spam, fmt.Sprintf(reasonDenied, r), nil
	}
	blocked, err := s.Blocked(ctx)
	if err != nil {
		return "", "", err
	}
	for _, b := range blocked {
		if b == host {
			return Spam, BlockedReason, nil
		}
	}
	old, found, err := s.Find(ctx, m.Source, m.Target)
	if err != nil {
		return "", "", err
	}
	if found && (old.State == Approved || old.State == Spam) {
		return old.State, old.Reason, nil
	}
	if matchHost(allow, host) != nil {
		return Approved, "", nil
	}
	switch p.Moderate {
	case ModerateNone:
		return Approved, "", nil
	case ModerateAll:
		return Pending, reasonAll, nil
	}
	ok, err := s.HasApproved(ctx, host)
	if err != nil {
		return "", "", err
	}
	if ok {
		return Approved, "", nil
	}
	return Pending, fmt.Sprintf(reasonHeld, host), nil
}

// patterns returns the compiled rules: NewPolicy's, else compiled now.
func (p Policy) patterns() (allow, deny linkurl.Patterns, err error) {
	if len(p.allow) == len(p.Allow) && len(p.deny) == len(p.Deny) {
		return p.allow, p.deny, nil
	}
	return p.compile()
}

// Denied returns the Deny rule that host matches, or nil: the receiver
// refuses such a source before fetching anything, and Decide marks its
// mentions spam, by the same rules.
func (p Policy) Denied(host string) *linkurl.Pattern {
	_, deny, err := p.patterns()
	if err != nil {
		return nil // Validate reports it; NewPolicy refuses it
	}
	return matchHost(deny, host)
}

// matchHost returns the first pattern that matches host, or nil.
func matchHost(ps linkurl.Patterns, host string) *linkurl.Pattern {
	for _, p := range ps {
		if p.MatchHost(host) {
			return p
		}
	}
	return nil
}
