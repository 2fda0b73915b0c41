package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"golang.org/x/mod/module"

	"github.com/hugo-pingback/hugo-pingback/hugosite"
)

// Stamped by release builds (.goreleaser.yaml, the Dockerfile) with
// -ldflags "-X main.version=1.2.3 -X main.commit=SHA -X main.date=RFC3339".
var (
	version = ""
	commit  = ""
	date    = ""
)

// Where a binary's version came from.
const (
	sourceRelease = "release" // stamped with -ldflags by a release build
	sourceModule  = "module"  // the module version the go command recorded (go install …@vX.Y.Z)
	sourceDev     = "dev"     // built from a checkout or without version information
)

// versionInfo is what `hugo-pingback version` reports.
type versionInfo struct {
	Version string `json:"version"` // v1.2.3, or "dev"
	Source  string `json:"source"`  // release, module or dev
	Commit  string `json:"commit,omitempty"`
	Date    string `json:"date,omitempty"`
	// Modified is a build from a checkout with uncommitted changes.
	Modified bool `json:"modified,omitempty"`
	// Module is the version the go command computed for a dev build from a
	// checkout (a pseudo-version), kept for bug reports.
	Module   string `json:"module,omitempty"`
	Hugo     string `json:"hugo"`
	Go       string `json:"go"`
	Platform string `json:"platform"`
}

// currentVersion is this binary's version.
func currentVersion() versionInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	v := resolveVersion(version, commit, date, bi)
	v.Hugo, v.Go, v.Platform = hugosite.HugoVersion, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH
	return v
}

// resolveVersion decides the version from, in order: the release stamp, the
// module version of a go install, else a dev build with what the build info
// knows of its checkout. bi may be nil.
func resolveVersion(stamped, stampedCommit, stampedDate string, bi *debug.BuildInfo) versionInfo {
	if stamped != "" {
		if c := stamped[0]; c >= '0' && c <= '9' {
			stamped = "v" + stamped // GoReleaser's {{.Version}} drops the tag's v
		}
		return versionInfo{Version: stamped, Source: sourceRelease, Commit: stampedCommit, Date: stampedDate}
	}
	dev := versionInfo{Version: "dev", Source: sourceDev}
	if bi == nil {
		return dev
	}
	var revision, at string
	var modified bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	mv := bi.Main.Version
	// Since Go 1.24 a build in a checkout records a pseudo-version (with
	// +dirty when modified): that is still a dev build. A pseudo-version with
	// no VCS settings was fetched from the module proxy: a go install of a commit.
	devBuild := mv == "" || mv == "(devel)" || modified || (revision != "" && module.IsPseudoVersion(strings.TrimSuffix(mv, "+dirty")))
	if devBuild {
		dev.Commit, dev.Date, dev.Modified = revision, at, modified
		if mv != "(devel)" {
			dev.Module = mv
		}
		return dev
	}
	v := versionInfo{Version: mv, Source: sourceModule, Commit: revision, Date: at}
	if v.Commit == "" && module.IsPseudoVersion(mv) {
		v.Commit, _ = module.PseudoVersionRev(mv)
	}
	return v
}

// String is the human form: the version and where it came from, then the
// embedded Hugo, Go and platform.
func (v versionInfo) String() string {
	var detail []string
	switch v.Source {
	case sourceModule:
		detail = append(detail, "go install")
	case sourceDev:
		detail = append(detail, "development build")
		if v.Module != "" {
			detail = append(detail, v.Module)
		}
	}
	if v.Commit != "" {
		detail = append(detail, "commit "+v.Commit)
	}
	if v.Modified {
		detail = append(detail, "modified")
	}
	if v.Date != "" {
		detail = append(detail, "built "+v.Date)
	}
	if v.Source == sourceDev && v.Commit == "" {
		detail = append(detail, "no release version or VCS information in the binary")
	}
	s := "hugo-pingback " + v.Version
	if len(detail) > 0 {
		s += " (" + strings.Join(detail, ", ") + ")"
	}
	return s + fmt.Sprintf("\nHugo %s, %s, %s\n", v.Hugo, v.Go, v.Platform)
}

// runVersion is the version command.
func runVersion(args []string, stdout io.Writer) error {
	c := newCommand("version", 0, "Print the version of hugo-pingback (release, go install or development build,\nwith its commit) and of the embedded Hugo.", "  hugo-pingback version\n  hugo-pingback version --json\n", stdout)
	jsonOut := c.Bool("json", "print the version as JSON")
	if err := c.parse(args); err != nil {
		return err
	}
	v := currentVersion()
	if *jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	_, err := io.WriteString(stdout, v.String())
	return err
}
