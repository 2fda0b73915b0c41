package suggest

import "testing"

func TestClosest(t *testing.T) {
	flags := []string{"dry-run", "baseline", "all", "since", "max-age", "no-self-ping", "receiver", "webmention", "timeout", "verbose"}
	for _, tc := range []struct {
		in, want string
	}{
		{"dryrun", "dry-run"},        // a dash left out
		{"dry", "dry-run"},           // a prefix
		{"reciever", "receiver"},     // a transposition
		{"basline", "baseline"},      // a letter left out
		{"webmentoin", "webmention"}, // a transposition near the end
		{"Verbose", "verbose"},       // case
		{"al", "all"},                // short names: one edit
		{"xyz", ""},                  // nothing near
		{"concurrency", ""},          // a real word that is no flag here
		{"sinc", "since"},
	} {
		if got := Closest(tc.in, flags); got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := Closest("sned", []string{"send", "status", "serve", "build"}); got != "send" {
		t.Errorf("Closest(sned) = %q", got)
	}
}
