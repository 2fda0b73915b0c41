package mention

import (
	"strings"
	"testing"
)

func TestPolicyDecide(t *testing.T) {
	s, _ := openStore(t)
	const target = "https://blog.example.net/posts/hello/"
	// Known hosts: friend.example.org has an approved mention, foe.example
	// one marked spam by a moderator, and blocked.example is blocked.
	settle(t, s, verified("https://friend.example.org/old", "https://blog.example.net/about/", Approved))
	settle(t, s, verified("https://foe.example/1", target, Spam)).Reason = "spam by hand"
	if _, err := s.Moderate(ctx, []ID{2}, Spam, "spam by hand"); err != nil {
		t.Fatal(err)
	}
	if err := s.Block(ctx, "blocked.example"); err != nil {
		t.Fatal(err)
	}
	rules := Policy{Allow: []string{"trusted.example.com", "*.indieweb.example"}, Deny: []string{"*.spam.example", "Bad.Example."}}

	tests := []struct {
		name       string
		policy     Policy
		source     string
		state      State  // set by the caller before Decide
		want       State  // Decide's answer
		wantReason string // a part of it
	}{
		// unknown (default): a host with an approved mention is trusted.
		{"unknown, known host", rules, "https://friend.example.org/new", "", Approved, ""},
		// unknown: the first mention from a host waits, and says why.
		{"unknown, new host", rules, "https://stranger.example.org/p", "", Pending, "held: first mention from stranger.example.org"},
		// Host case does not matter.
		{"unknown, known host in capitals", rules, "https://FRIEND.example.org/new", "", Approved, ""},
		// all: even a known host waits.
		{"all holds a known host", Policy{Moderate: ModerateAll}, "https://friend.example.org/new", "", Pending, "every mention is moderated"},
		// none: a new host is approved.
		{"none approves a new host", Policy{Moderate: ModerateNone}, "https://stranger.example.org/p", "", Approved, ""},
		// A deny glob: spam naming the rule, even under none.
		{"deny glob", Policy{Moderate: ModerateNone, Deny: rules.Deny}, "https://a.b.spam.example/p", "", Spam, "denied host (rule *.spam.example)"},
		// A leading *. covers the domain itself too.
		{"deny glob, bare domain", rules, "https://spam.example/p", "", Spam, "rule *.spam.example"},
		// A * stays within one label; a host that only ends alike is another.
		{"deny glob, other domain", rules, "https://notspam.example/p", "", Pending, "held"},
		// A deny host rule, written in another case with a dot.
		{"deny host", rules, "https://bad.example/p", "", Spam, "rule Bad.Example)"},
		// Deny wins over an approved history.
		{"deny beats known host", Policy{Deny: []string{"friend.example.org"}}, "https://friend.example.org/new", "", Spam, "denied host"},
		// Blocked in the store (mentions block HOST).
		{"blocked host", rules, "https://blocked.example/p", "", Spam, BlockedReason},
		// Allow by host and by glob, even under all.
		{"allow host", Policy{Moderate: ModerateAll, Allow: rules.Allow}, "https://trusted.example.com/p", "", Approved, ""},
		{"allow glob", rules, "https://me.indieweb.example/note/1", "", Approved, ""},
		// The receiver's scraper verdict is kept, even for an allowed host.
		{"caller's spam stands", rules, "https://trusted.example.com/copy", Spam, Spam, "copies"},
		// A source gone stays deleted.
		{"caller's deleted stands", rules, "https://friend.example.org/gone", Deleted, Deleted, "410"},
		// An update of a mention a moderator marked spam stays spam, even under none.
		{"spam stays spam on update", Policy{Moderate: ModerateNone}, "https://foe.example/1", "", Spam, "spam by hand"},
		// An update of an approved mention stays approved, even under all.
		{"approved stays approved on update", Policy{Moderate: ModerateAll}, "https://friend.example.org/old", "", Approved, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tgt := target
			if strings.HasSuffix(tt.source, "/old") {
				tgt = "https://blog.example.net/about/"
			}
			m := verified(tt.source, tgt, tt.state)
			switch tt.state {
			case Spam:
				m.Reason = "source copies 83% of the target's text"
			case Deleted:
				m.Reason = "source answered 410 Gone"
			}
			if err := tt.policy.Validate(); err != nil {
				t.Fatal(err)
			}
			st, reason, err := tt.policy.Decide(ctx, s, m)
			if err != nil {
				t.Fatal(err)
			}
			if st != tt.want || !strings.Contains(reason, tt.wantReason) || (tt.wantReason == "" && reason != "") {
				t.Errorf("Decide = %s %q, want %s %q", st, reason, tt.want, tt.wantReason)
			}
		})
	}
}

func TestPolicyValidate(t *testing.T) {
	tests := []struct {
		name   string
		policy Policy
		says   string // "" for valid
	}{
		// The zero Policy is valid: moderate unknown.
		{"zero", Policy{}, ""},
		// Globs and hosts.
		{"rules", Policy{Moderate: ModerateAll, Allow: []string{"*.example.org", "a.example"}, Deny: []string{"**.example"}}, ""},
		// A pattern the pattern language refuses names itself.
		{"bad pattern", Policy{Deny: []string{"ok.example", "a@b.example"}}, `"a@b.example"`},
		// A port is not a host pattern.
		{"port", Policy{Deny: []string{"spam.example:8080"}}, `deny rule "spam.example:8080"`},
		// A URL is not a host rule.
		{"URL as rule", Policy{Allow: []string{"https://blog.example.org/"}}, `allow rule "https://blog.example.org/"`},
		// An empty rule.
		{"empty rule", Policy{Allow: []string{" "}}, `allow rule: invalid URL pattern ""`},
		// An unknown mode.
		{"bad mode", Policy{Moderate: "some"}, `moderate "some"`},
	}
	for _, tt := range tests {
		err := tt.policy.Validate()
		switch {
		case tt.says == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.says != "" && (err == nil || !strings.Contains(err.Error(), tt.says)):
			t.Errorf("%s: Validate() = %v, want an error saying %q", tt.name, err, tt.says)
		}
	}
	if m, err := ParseModeration(""); err != nil || m != ModerateUnknown {
		t.Errorf("ParseModeration(\"\") = %q, %v", m, err)
	}
	if _, err := NewPolicy("none", nil, []string{"x/y"}); err == nil {
		t.Error("NewPolicy accepted a pattern with a path")
	}
	// A Policy from NewPolicy decides as the literal does.
	p, err := NewPolicy(ModerateUnknown, nil, []string{"*.spam.example"})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := openStore(t)
	if st, reason, err := p.Decide(ctx, s, verified("https://a.spam.example/1", "https://blog.example.net/", "")); st != Spam || err != nil {
		t.Errorf("NewPolicy's Decide = %s %q %v", st, reason, err)
	}
}
