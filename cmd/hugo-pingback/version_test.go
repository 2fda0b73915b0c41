package main

import (
	"encoding/json"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/hugo-pingback/hugo-pingback/hugosite"
)

// buildInfo parses the text `go version -m` prints, the format the go
// command embeds in every binary.
func buildInfo(t *testing.T, text string) *debug.BuildInfo {
	t.Helper()
	bi, err := debug.ParseBuildInfo(strings.ReplaceAll(text, "|", "\t"))
	if err != nil {
		t.Fatalf("parse build info: %v\n%s", err, text)
	}
	return bi
}

func TestResolveVersion(t *testing.T) {
	const head = "go|go1.26.8\npath|github.com/hugo-pingback/hugo-pingback/cmd/hugo-pingback\n"
	cases := []struct {
		name                string
		stamp, commit, date string
		info                string // build info text; "" means none
		want                versionInfo
	}{
		{
			// A GoReleaser build: the stamp wins over everything, and the tag's v comes back.
			name: "release", stamp: "1.2.3", commit: "0123456789abcdef0123456789abcdef01234567", date: "2026-12-01T10:00:00Z",
			info: head + "mod|github.com/hugo-pingback/hugo-pingback|(devel)|\n",
			want: versionInfo{Version: "v1.2.3", Source: sourceRelease, Commit: "0123456789abcdef0123456789abcdef01234567", Date: "2026-12-01T10:00:00Z"},
		},
		{
			// A snapshot stamp keeps its text.
			name: "snapshot", stamp: "0.0.0-SNAPSHOT-a780f87", commit: "a780f87",
			want: versionInfo{Version: "v0.0.0-SNAPSHOT-a780f87", Source: sourceRelease, Commit: "a780f87"},
		},
		{
			// go install …@v1.4.0 from the module proxy: a version, no VCS settings.
			name: "go install tag",
			info: head + "mod|github.com/hugo-pingback/hugo-pingback|v1.4.0|h1:abc=\nbuild|-buildmode=exe\nbuild|CGO_ENABLED=1\n",
			want: versionInfo{Version: "v1.4.0", Source: sourceModule},
		},
		{
			// go install …@COMMIT: a pseudo-version, whose revision is the commit.
			name: "go install commit",
			info: head + "mod|github.com/hugo-pingback/hugo-pingback|v0.0.0-20261201095100-a780f87b1c2d|h1:abc=\n",
			want: versionInfo{Version: "v0.0.0-20261201095100-a780f87b1c2d", Source: sourceModule, Commit: "a780f87b1c2d"},
		},
		{
			// go build in a clean checkout of a tag: the module version and the commit.
			name: "tagged checkout",
			info: head + "mod|github.com/hugo-pingback/hugo-pingback|v1.4.0|\nbuild|vcs=git\nbuild|vcs.revision=a780f87b1c2d3e4f\nbuild|vcs.time=2026-12-01T09:51:00Z\nbuild|vcs.modified=false\n",
			want: versionInfo{Version: "v1.4.0", Source: sourceModule, Commit: "a780f87b1c2d3e4f", Date: "2026-12-01T09:51:00Z"},
		},
		{
			// go build in a checkout between tags (Go 1.24+ records a pseudo-version): dev.
			name: "checkout between tags",
			info: head + "mod|github.com/hugo-pingback/hugo-pingback|v1.4.1-0.20261201095100-a780f87b1c2d|\nbuild|vcs=git\nbuild|vcs.revision=a780f87b1c2d3e4f\nbuild|vcs.time=2026-12-01T09:51:00Z\nbuild|vcs.modified=false\n",
			want: versionInfo{Version: "dev", Source: sourceDev, Commit: "a780f87b1c2d3e4f", Date: "2026-12-01T09:51:00Z", Module: "v1.4.1-0.20261201095100-a780f87b1c2d"},
		},
		{
			// Uncommitted changes: dev and modified, even on a tag.
			name: "dirty checkout",
			info: head + "mod|github.com/hugo-pingback/hugo-pingback|v1.4.0+dirty|\nbuild|vcs=git\nbuild|vcs.revision=a780f87b1c2d3e4f\nbuild|vcs.modified=true\n",
			want: versionInfo{Version: "dev", Source: sourceDev, Commit: "a780f87b1c2d3e4f", Modified: true, Module: "v1.4.0+dirty"},
		},
		{
			// -buildvcs=false or no VCS: (devel) and nothing else to say.
			name: "devel",
			info: head + "mod|github.com/hugo-pingback/hugo-pingback|(devel)|\n",
			want: versionInfo{Version: "dev", Source: sourceDev},
		},
		{
			// No build info at all.
			name: "none",
			want: versionInfo{Version: "dev", Source: sourceDev},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var bi *debug.BuildInfo
			if c.info != "" {
				bi = buildInfo(t, c.info)
			}
			if got := resolveVersion(c.stamp, c.commit, c.date, bi); got != c.want {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestVersionString(t *testing.T) {
	cases := []struct {
		name string
		v    versionInfo
		want string
	}{
		// A release says its commit and date.
		{"release", versionInfo{Version: "v1.2.3", Source: sourceRelease, Commit: "0123abc", Date: "2026-12-01T10:00:00Z"}, "hugo-pingback v1.2.3 (commit 0123abc, built 2026-12-01T10:00:00Z)"},
		// go install says so.
		{"module", versionInfo{Version: "v1.4.0", Source: sourceModule}, "hugo-pingback v1.4.0 (go install)"},
		// A dirty dev build says dev, the pseudo-version, the commit and modified.
		{"dirty", versionInfo{Version: "dev", Source: sourceDev, Commit: "a780f87", Modified: true, Module: "v1.4.0+dirty"}, "hugo-pingback dev (development build, v1.4.0+dirty, commit a780f87, modified)"},
		// A dev build that knows nothing says that.
		{"bare dev", versionInfo{Version: "dev", Source: sourceDev}, "hugo-pingback dev (development build, no release version or VCS information in the binary)"},
	}
	for _, c := range cases {
		c.v.Hugo, c.v.Go, c.v.Platform = "v0.165.0", "go1.26.8", "linux/amd64"
		want := c.want + "\nHugo v0.165.0, go1.26.8, linux/amd64\n"
		if got := c.v.String(); got != want {
			t.Errorf("%s: got %q, want %q", c.name, got, want)
		}
	}
}

// TestCLIVersionDev runs the test binary, which nothing stamped: a dev build
// that names the embedded Hugo.
func TestCLIVersionDev(t *testing.T) {
	dir := t.TempDir()
	out, stderr, code := cli(t, dir, "version")
	if code != 0 || !strings.HasPrefix(out, "hugo-pingback dev (development build") || !strings.Contains(out, "Hugo "+hugosite.HugoVersion) {
		t.Errorf("version: exit %d\n%s%s", code, out, stderr)
	}
	out, stderr, code = cli(t, dir, "version", "--json")
	var v versionInfo
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil {
		t.Fatalf("version --json: exit %d\n%s%s", code, out, stderr)
	}
	if v.Version != "dev" || v.Source != sourceDev || v.Hugo != hugosite.HugoVersion || !strings.HasPrefix(v.Go, "go1.") || v.Platform == "" {
		t.Errorf("version --json: %+v", v)
	}
	if _, stderr, code := cli(t, dir, "version", "extra"); code != 2 || !strings.Contains(stderr, `"extra"`) {
		t.Errorf("version extra: exit %d, %s", code, stderr)
	}
}
