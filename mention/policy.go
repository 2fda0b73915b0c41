package mention

import (
	"context"
	"fmt"
	"path"
	"strings"
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
// Allow and Deny hold host rules, from [params.pingback.receive] allow and
// deny: a host name ("blog.example.org") matches that host only; a glob
// ("*.spam.example", path.Match syntax) matches the hosts it describes
// ("*" spans dots, so "*.spam.example" matches a.b.spam.example but not
// spam.example itself). Hosts compare in lower case without a trailing dot.
type Policy struct {
	Moderate Moderation
	Allow    []string
	Deny     []string
}

// Validate checks the mode and every rule; the error names the bad one.
func (p Policy) Validate() error {
	if p.Moderate != "" {
		if _, err := ParseModeration(string(p.Moderate)); err != nil {
			return err
		}
	}
	for _, list := range []struct {
		name  string
		rules []string
	}{{"allow", p.Allow}, {"deny", p.Deny}} {
		for _, r := range list.rules {
			rule := NormaliseHost(r)
			if rule == "" || strings.ContainsAny(rule, "/:@ ") {
				return fmt.Errorf("%s rule %q: want a host name or a glob such as *.spam.example", list.name, r)
			}
			if _, err := path.Match(rule, ""); err != nil {
				return fmt.Errorf("%s rule %q: %w", list.name, r, err)
			}
		}
	}
	return nil
}

// NewPolicy returns a validated Policy.
func NewPolicy(mode Moderation, allow, deny []string) (Policy, error) {
	p := Policy{Moderate: mode, Allow: allow, Deny: deny}
	return p, p.Validate()
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
	if r, ok := matchHost(p.Deny, host); ok {
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
	if _, ok := matchHost(p.Allow, host); ok {
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

// matchHost returns the first rule that matches host.
func matchHost(rules []string, host string) (string, bool) {
	for _, r := range rules {
		rule := NormaliseHost(r)
		if rule == host {
			return r, true
		}
		if strings.ContainsAny(rule, "*?[") {
			if ok, _ := path.Match(rule, host); ok {
				return r, true
			}
		}
	}
	return "", false
}
