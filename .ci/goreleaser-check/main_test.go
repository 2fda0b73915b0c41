package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("..", "..", ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		config   string
		want     string // in the error; "" means valid
		wantDepr bool
	}{
		// The repository's config.
		{"repository", string(good), "", false},
		// A misspelt key is an error naming it (strict decoding).
		{"unknown key", strings.Replace(string(good), "name_template: checksums.txt", "name_templat: checksums.txt", 1), "name_templat", false},
		// A wrong type.
		{"wrong type", strings.Replace(string(good), "algorithm: sha256", "algorithm: [sha256]", 1), "cannot unmarshal", false},
		// The v1 schema.
		{"version 1", strings.Replace(string(good), "version: 2", "version: 1", 1), "version 1, want 2", false},
		// A deprecated property.
		{"deprecated", strings.Replace(string(good), "version_template:", "name_template:", 1), "snapshot.name_template", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), ".goreleaser.yaml")
			if err := os.WriteFile(path, []byte(c.config), 0o644); err != nil {
				t.Fatal(err)
			}
			err := check(path, io.Discard)
			switch {
			case c.want == "" && err != nil:
				t.Errorf("valid config refused: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("error %v, want one naming %q", err, c.want)
			case errors.Is(err, errDeprecated) != c.wantDepr:
				t.Errorf("deprecated: %v, want %v", errors.Is(err, errDeprecated), c.wantDepr)
			}
		})
	}
}
