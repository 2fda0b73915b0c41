package hugosite_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/hugo-pingback/hugo-pingback/config"
	"github.com/hugo-pingback/hugo-pingback/hugosite"
	"github.com/hugo-pingback/hugo-pingback/internal/hugotest"
	"github.com/hugo-pingback/hugo-pingback/renderer"
	"github.com/hugo-pingback/hugo-pingback/site"
)

// TestBuildInjectorMatchesInject: injecting while Hugo writes (and undoing
// an opted-out page afterwards) leaves the publish dir byte for byte as a
// build followed by site.Inject does, with the same report.
func TestBuildInjectorMatchesInject(t *testing.T) {
	tags := renderer.Tags{Pingback: "https://receiver.example/xmlrpc", Webmention: "https://receiver.example/webmention"}
	const optedOut = "posts/no-receive/index.html"
	build := func(dir string, transform func(string, []byte) []byte) string {
		t.Helper()
		s, err := hugosite.Load(context.Background(), hugosite.Options{Dir: dir, Transform: transform})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := s.Build(context.Background()); err != nil {
			t.Fatal(err)
		}
		return filepath.Join(dir, "public")
	}

	// After: build, then rewrite the built pages.
	after := build(copyExample(t), nil)
	wantRep, err := site.Inject(context.Background(), []config.Root{{Dir: after, BaseURL: "https://blog.example.net/"}},
		site.InjectOptions{Tags: tags, Skip: map[string]bool{optedOut: true}})
	if err != nil {
		t.Fatal(err)
	}

	// While: inject as Hugo writes, undo the opted-out page.
	dir := copyExample(t)
	in := site.NewInjector(tags)
	in.Root = filepath.Join(dir, "public")
	while := build(dir, in.Transform)
	if err := in.Undo([]string{filepath.Join(while, filepath.FromSlash(optedOut))}); err != nil {
		t.Fatal(err)
	}

	want, got := tree(t, after), tree(t, while)
	if len(want) < 10 || len(got) != len(want) {
		t.Fatalf("%d files written while injecting, %d after", len(got), len(want))
	}
	for name, w := range want {
		if !bytes.Equal(got[name], w) {
			t.Errorf("%s differs:\n--- while\n%s\n--- after\n%s", name, got[name], w)
		}
	}
	if rep := in.Report(); !reflect.DeepEqual(rep, wantRep) {
		t.Errorf("report\n%+v\nwant Inject's\n%+v", rep, wantRep)
	}
	if wantRep.Changed < 5 || wantRep.Skipped != 1 {
		t.Errorf("fixture: Inject report %+v", wantRep)
	}
}

// copyExample copies example-site/ without its build output.
func copyExample(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../example-site")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"public", "resources", ".hugo-pingback", ".hugo_build.lock"} {
		if err := os.RemoveAll(filepath.Join(dir, p)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// tree returns every regular file under dir by slash path.
func tree(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	files, err := hugotest.ReadTree(dir)
	if err != nil {
		t.Fatal(err)
	}
	return files
}
