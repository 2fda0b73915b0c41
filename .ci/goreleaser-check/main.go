// Command goreleaser-check validates .goreleaser.yaml with GoReleaser's own
// configuration package (github.com/goreleaser/goreleaser/v2/pkg/config):
// the same strict YAML decoding `goreleaser check` starts with, so an
// unknown or misspelt key, a wrong type or a schema other than version 2 is
// an error, and properties GoReleaser marks deprecated are reported too.
//
// It is the part of `goreleaser check` that CI can afford: the full command
// links every publisher GoReleaser has (over 5 minutes and 3 GB to build
// cold), this builds in seconds. It is a module of its own so that
// GoReleaser's dependencies never enter hugo-pingback's go.mod.
//
// Usage: go run . ../../.goreleaser.yaml
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/goreleaser/goreleaser/v2/pkg/config"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: goreleaser-check FILE")
		os.Exit(2)
	}
	if err := check(os.Args[1], os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "goreleaser-check: %v\n", err)
		os.Exit(1)
	}
}

// errDeprecated is a valid configuration that uses deprecated properties
// (goreleaser check exits 2 for those).
var errDeprecated = errors.New("configuration is valid, but uses deprecated properties")

func check(path string, w io.Writer) error {
	cfg, err := config.Load(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if cfg.Version != 2 {
		return fmt.Errorf("%s: version %d, want 2", path, cfg.Version)
	}
	if len(cfg.Builds) == 0 || len(cfg.Archives) == 0 {
		return fmt.Errorf("%s: no builds or no archives", path)
	}
	var deprecated []string
	for i, a := range cfg.Archives {
		if a.Format != "" {
			deprecated = append(deprecated, fmt.Sprintf("archives[%d].format (use formats)", i))
		}
		if len(a.Builds) > 0 {
			deprecated = append(deprecated, fmt.Sprintf("archives[%d].builds (use ids)", i))
		}
		for j, o := range a.FormatOverrides {
			if o.Format != "" {
				deprecated = append(deprecated, fmt.Sprintf("archives[%d].format_overrides[%d].format (use formats)", i, j))
			}
		}
	}
	if cfg.Snapshot.NameTemplate != "" {
		deprecated = append(deprecated, "snapshot.name_template (use version_template)")
	}
	if len(deprecated) > 0 {
		return fmt.Errorf("%s: %w: %v", path, errDeprecated, deprecated)
	}
	fmt.Fprintf(w, "%s: valid GoReleaser v2 configuration (%d build, %d archive)\n", path, len(cfg.Builds), len(cfg.Archives))
	return nil
}
