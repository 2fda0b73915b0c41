package hugogen

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readAll(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	return out
}

func TestGenerateDeterministic(t *testing.T) {
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	for _, d := range []struct {
		dir  string
		seed uint64
	}{{a, 1}, {b, 1}, {c, 2}} {
		if err := Generate(d.dir, Options{Posts: 30, Seed: d.seed}); err != nil {
			t.Fatal(err)
		}
	}
	fa, fb, fc := readAll(t, a), readAll(t, b), readAll(t, c)
	if len(fa) != 30+len(fixed) {
		t.Errorf("%d files, want %d", len(fa), 30+len(fixed))
	}
	same := func(x, y map[string]string) bool {
		if len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if y[k] != v {
				return false
			}
		}
		return true
	}
	if !same(fa, fb) {
		t.Error("same seed, different sites")
	}
	if same(fa, fc) {
		t.Error("different seeds, same site")
	}
	// Posts have content links and only reserved outside hosts.
	p := fa["content/posts/post-00000.md"]
	if !strings.Contains(p, "](") || !strings.Contains(p, "cite url=") {
		t.Errorf("post 0 lacks links or the shortcode:\n%s", p)
	}
	for name, data := range fa {
		for _, f := range strings.Fields(data) {
			if i := strings.Index(f, "https://"); i >= 0 {
				host := strings.SplitN(f[i+len("https://"):], "/", 2)[0]
				if !strings.HasSuffix(host, ".example") && !strings.HasSuffix(host, ".example.net") && host != "webmention.io" {
					t.Errorf("%s: host %q is not reserved", name, host)
				}
			}
		}
	}
}

func TestGenerateNoPosts(t *testing.T) {
	if err := Generate(t.TempDir(), Options{}); !errors.Is(err, errNoPosts) {
		t.Errorf("Generate with no posts: %v", err)
	}
}
