// Package hugotest runs Hugo's own `hugo` command in-process, as the
// reference that tests and benchmarks compare hugo-pingback's builds with.
//
// It is the only other place that touches Hugo's Go API besides package
// hugosite, and only test binaries import it: the tool itself never runs
// Hugo's command line.
package hugotest

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gohugoio/hugo/commands"
)

// Build runs `hugo --source dir --destination dest --quiet ARGS...`.
func Build(dir, dest string, args ...string) error {
	argv := append([]string{"--source", dir, "--destination", dest, "--quiet"}, args...)
	if err := commands.Execute(argv); err != nil {
		return fmt.Errorf("hugo %s: %w", strings.Join(argv, " "), err)
	}
	return nil
}

// ReadTree returns every regular file under dir by slash path, to compare
// two built sites.
func ReadTree(dir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = b
		return nil
	})
	return files, err
}
