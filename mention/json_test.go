package mention

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// The admin JSON (mentions list --json) leaves out the times a mention does
// not have, instead of printing year 1.
func TestMentionJSONOmitsZeroTimes(t *testing.T) {
	b, err := json.Marshal(Mention{ID: 1, Source: "https://a.example/p", Target: "https://b.example/q", Received: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{"published", "updated", "verified", "0001-01-01"} {
		if strings.Contains(string(b), absent) {
			t.Errorf("%s in %s", absent, b)
		}
	}
	if !strings.Contains(string(b), `"received":"2026-01-02T03:04:05Z"`) {
		t.Errorf("received missing: %s", b)
	}
}
