package mention

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

func TestFilePath(t *testing.T) {
	tests := []struct {
		target string
		want   string // "" when no file
	}{
		// The home page.
		{"https://blog.example.net/", "_index.json"},
		{"https://blog.example.net", "_index.json"},
		{"https://blog.example.net/index.html", "_index.json"},
		// A post, with and without its trailing slash, fragment and query.
		{"https://blog.example.net/posts/hello-world/", "posts/hello-world.json"},
		{"https://blog.example.net/posts/hello-world", "posts/hello-world.json"},
		{"https://blog.example.net/posts/hello-world/index.html#c1", "posts/hello-world.json"},
		{"https://blog.example.net/posts/hello-world/?utm=x", "posts/hello-world.json"},
		// Ugly URLs.
		{"https://blog.example.net/about.html", "about.json"},
		// A language prefix is part of the path.
		{"https://blog.example.net/fr/posts/bonjour/", "fr/posts/bonjour.json"},
		// Escaped characters are unescaped, as Hugo names the page.
		{"https://blog.example.net/posts/caf%C3%A9/", "posts/café.json"},
		// A dot segment would be a file Hugo skips.
		{"https://blog.example.net/.well-known/x", ""},
		// Not a URL.
		{"/posts/hello/", ""},
	}
	for _, tt := range tests {
		got, ok := FilePath(tt.target)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("FilePath(%q) = %q, %v; want %q", tt.target, got, ok, tt.want)
		}
	}
}

// fullMention has every field a jf2 entry shows, and the ones it must not.
func fullMention(id ID, typ Type) Mention {
	return Mention{
		ID: id, Source: "https://ann.example.org/notes/1", Target: "https://blog.example.net/posts/hello-world/",
		Protocol: Webmention, State: Approved, Type: typ, Reason: "never shown",
		Received: time.Date(2026, 11, 20, 9, 13, 2, 500, time.UTC), ClientIP: "192.0.2.44",
		Author:    Author{Name: "Ann <Author>", URL: "https://ann.example.org/", Photo: "https://ann.example.org/me.jpg"},
		URL:       "https://ann.example.org/notes/1#entry",
		Published: time.Date(2026, 11, 20, 10, 12, 44, 0, time.FixedZone("CET", 3600)),
		Name:      "A note", Content: Content{HTML: "<p>Nice &amp; <b>bold</b></p>", Text: "Nice & bold"},
	}
}

// TestJF2Golden pins the jf2 of each type against a golden feed checked
// against webmention.io's field names (testdata/webmentionio has its
// recorded form).
func TestJF2Golden(t *testing.T) {
	var feed JF2Feed
	feed.Type, feed.Name = "feed", "Webmentions"
	for i, typ := range []Type{Reply, Like, Repost, Bookmark, RSVP, Mentions} {
		m := fullMention(ID(i+1), typ)
		if typ == RSVP {
			m.RSVP = "yes"
		}
		if typ == Like { // likes carry no content and no date
			m.Content, m.Published, m.Name, m.URL = Content{}, time.Time{}, "", ""
		}
		feed.Children = append(feed.Children, m.JF2())
	}
	got, err := EncodeJF2(&feed)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "jf2", "types.golden.json")
	if *update {
		os.MkdirAll(filepath.Dir(golden), 0o755)
		os.WriteFile(golden, got, 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("jf2 differs from %s (run with -update to accept):\n%s", golden, got)
	}
	for _, never := range []string{"192.0.2.44", "never shown", `"state"`} {
		if bytes.Contains(got, []byte(never)) {
			t.Errorf("jf2 contains %q", never)
		}
	}
	// The field names templates written for webmention.io read.
	var generic struct {
		Children []map[string]any `json:"children"`
	}
	if err := json.Unmarshal(got, &generic); err != nil {
		t.Fatal(err)
	}
	reply := generic.Children[0]
	for _, k := range []string{"type", "author", "url", "published", "wm-received", "wm-id", "wm-source", "wm-target", "wm-property", "wm-private", "content", "name", "in-reply-to"} {
		if _, ok := reply[k]; !ok {
			t.Errorf("reply entry lacks %q", k)
		}
	}
	if author := reply["author"].(map[string]any); author["type"] != "card" || author["photo"] == "" {
		t.Errorf("author = %v", author)
	}
	if like := generic.Children[1]; like["published"] != nil || like["wm-property"] != "like-of" || like["like-of"] != "https://blog.example.net/posts/hello-world/" {
		t.Errorf("like entry = %v", like)
	}
}

// exportSite is a store with approved, pending and spam mentions of three
// pages, and a Hugo data dir with a user's own file in it.
func exportSite(t *testing.T) (*BoltStore, string) {
	t.Helper()
	s, _ := openStore(t)
	for _, m := range []*Mention{
		verified("https://a.example.org/1", "https://blog.example.net/posts/hello-world/", Approved),
		verified("https://b.example.org/1", "https://blog.example.net/posts/hello-world/", Approved),
		verified("https://c.example.org/1", "https://blog.example.net/posts/hello-world/", Pending),
		verified("https://d.example.org/1", "https://blog.example.net/", Approved),
		verified("https://e.example.org/1", "https://blog.example.net/about/", Spam),
		verified("https://f.example.org/1", "https://blog.example.net/posts/second-post/", Approved),
	} {
		settle(t, s, m)
	}
	data := filepath.Join(t.TempDir(), "data")
	writeFile(t, filepath.Join(data, "authors.json"), `{"alex":{"name":"Alex"}}`)
	return s, data
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFeed(t *testing.T, path string) JF2Feed {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f JF2Feed
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return f
}

// tree returns every file under dir with its modification time.
func tree(t *testing.T, dir string) map[string]time.Time {
	t.Helper()
	m := map[string]time.Time{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			info, _ := d.Info()
			rel, _ := filepath.Rel(dir, p)
			m[filepath.ToSlash(rel)] = info.ModTime()
		}
		return nil
	})
	return m
}

func TestExport(t *testing.T) {
	s, data := exportSite(t)
	res, err := Export(ctx, s, data)
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := []string{"_index.json", "posts/hello-world.json", "posts/second-post.json"}
	if !reflect.DeepEqual(res.Written, wantFiles) || res.Mentions != 4 || res.Files != 3 {
		t.Fatalf("first Export: %+v", res)
	}
	hello := readFeed(t, filepath.Join(data, "mentions", "posts", "hello-world.json"))
	if len(hello.Children) != 2 || hello.Children[0].WMID != 1 || hello.Children[1].WMID != 2 || hello.Type != "feed" {
		t.Errorf("hello-world.json: %+v; want mentions 1 and 2 in wm-id order (not the pending 3)", hello)
	}
	before := tree(t, data)
	if _, ok := before["mentions/"+StateFile]; !ok {
		t.Errorf("no state file: %v", before)
	}

	// An unchanged store writes nothing: same bytes, same mtimes.
	res, err = Export(ctx, s, data)
	if err != nil || len(res.Written) != 0 || res.Unchanged != 3 || len(res.Removed) != 0 {
		t.Fatalf("second Export: %+v, %v", res, err)
	}
	if after := tree(t, data); !reflect.DeepEqual(before, after) {
		t.Errorf("second Export touched files:\nbefore %v\nafter  %v", before, after)
	}

	// Approving one mention rewrites only its page's file.
	if _, err := s.Moderate(ctx, []ID{3}, Approved, ""); err != nil {
		t.Fatal(err)
	}
	res, err = Export(ctx, s, data)
	if err != nil || !reflect.DeepEqual(res.Written, []string{"posts/hello-world.json"}) {
		t.Fatalf("Export after an approval: %+v, %v", res, err)
	}

	// A page whose last approved mention became spam loses its file, and
	// its now empty directory goes too; the user's file stays.
	if _, err := s.Moderate(ctx, []ID{6}, Spam, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Moderate(ctx, []ID{1, 2, 3}, Deleted, "source answered 410 Gone"); err != nil {
		t.Fatal(err)
	}
	res, err = Export(ctx, s, data)
	if err != nil || !reflect.DeepEqual(res.Removed, []string{"posts/hello-world.json", "posts/second-post.json"}) {
		t.Fatalf("Export after spam: %+v, %v", res, err)
	}
	got := tree(t, data)
	if _, ok := got["mentions/posts/hello-world.json"]; ok {
		t.Error("hello-world.json is still there")
	}
	if _, err := os.Stat(filepath.Join(data, "mentions", "posts")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("empty posts/ left behind: %v", err)
	}
	if _, ok := got["authors.json"]; !ok {
		t.Error("the user's data/authors.json was removed")
	}
}

// TestExportLeavesUserFiles: a data file Export did not write is never
// changed or removed; Export writes the others and says which it left.
func TestExportLeavesUserFiles(t *testing.T) {
	s, data := exportSite(t)
	mine := filepath.Join(data, "mentions", "posts", "hello-world.json")
	writeFile(t, mine, `{"children":["written by hand"]}`)
	res, err := Export(ctx, s, data)
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), mine) {
		t.Fatalf("Export over a user's file = %v, want ErrConflict naming %s", err, mine)
	}
	if b, _ := os.ReadFile(mine); string(b) != `{"children":["written by hand"]}` {
		t.Errorf("the user's file was changed: %s", b)
	}
	if !reflect.DeepEqual(res.Written, []string{"_index.json", "posts/second-post.json"}) {
		t.Errorf("Written = %v", res.Written)
	}
	// Even when its page has no approved mention left, it is not removed.
	if _, err := s.Moderate(ctx, []ID{1, 2}, Spam, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := Export(ctx, s, data); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("the user's file was removed: %v", err)
	}

	// A state file that does not parse is named, and nothing is written.
	state := filepath.Join(data, "mentions", StateFile)
	writeFile(t, state, "{")
	if _, err := Export(ctx, s, data); err == nil || !strings.Contains(err.Error(), state) {
		t.Errorf("Export with a broken state file = %v, want an error naming it", err)
	}
}

// TestExportOrderIsStable: entries are in wm-id order, whatever the order
// of the store's other indexes.
func TestExportOrderIsStable(t *testing.T) {
	var outs [][]byte
	for _, order := range [][]int{{0, 1, 2}, {2, 0, 1}} {
		s, _ := openStore(t)
		srcs := []string{"https://x.example/1", "https://y.example/1", "https://z.example/1"}
		for _, i := range order {
			m := verified(srcs[i], "https://blog.example.net/p/", Approved)
			m.Received = fixedNow.Add(time.Duration(i) * time.Minute)
			settle(t, s, m)
		}
		data := t.TempDir()
		if _, err := Export(ctx, s, data); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(data, "mentions", "p.json"))
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, b)
	}
	strip := func(b []byte) []string {
		var f JF2Feed
		json.Unmarshal(b, &f)
		var srcs []string
		for _, e := range f.Children {
			srcs = append(srcs, e.WMSource)
		}
		return srcs
	}
	a, b := strip(outs[0]), strip(outs[1])
	// Sorted by wm-id: the settling order.
	if !reflect.DeepEqual(a, []string{"https://x.example/1", "https://y.example/1", "https://z.example/1"}) ||
		!reflect.DeepEqual(b, []string{"https://z.example/1", "https://x.example/1", "https://y.example/1"}) {
		t.Errorf("order by wm-id: %v, %v", a, b)
	}
}

// FuzzFilePath: whatever the target, a data file name stays inside
// DATA/mentions, is a .json file Hugo reads (no dot segment), and is
// stable under the target's other spellings.
func FuzzFilePath(f *testing.F) {
	for _, s := range []string{"https://blog.example.net/", "https://blog.example.net/posts/a/index.html", "https://x.example/../../etc/passwd", "https://x.example/%2e%2e/a", "https://x.example/a/.hidden/b", "https://x.example/a%2Fb/", "https://x.example/a\\b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, target string) {
		name, ok := FilePath(target)
		if !ok {
			return
		}
		if !strings.HasSuffix(name, ".json") || filepath.IsAbs(name) || strings.HasPrefix(name, "/") {
			t.Fatalf("FilePath(%q) = %q", target, name)
		}
		for _, seg := range strings.Split(name, "/") {
			if seg == "" || seg == ".." || strings.HasPrefix(seg, ".") {
				t.Fatalf("FilePath(%q) = %q has segment %q", target, name, seg)
			}
		}
		if clean := filepath.ToSlash(filepath.Clean(name)); clean != name {
			t.Fatalf("FilePath(%q) = %q is not clean (%q)", target, name, clean)
		}
		if u := strings.TrimSuffix(target, "/") + "/"; strings.HasSuffix(target, "/") {
			if again, ok2 := FilePath(strings.TrimSuffix(u, "/")); ok2 && again != name {
				t.Fatalf("FilePath(%q) = %q but without the slash %q", target, name, again)
			}
		}
	})
}

// An export that stops after writing a new data file and before saving
// its state (here a write error on the next file; a kill is the same)
// leaves a file it still owns: when the file's only mention is then marked
// spam, the next export removes it. (It stayed on the site, nobody's.)
func TestExportStoppedMidwayKeepsFilesOwned(t *testing.T) {
	s, data := exportSite(t)
	if _, err := Export(ctx, s, data); err != nil {
		t.Fatal(err)
	}
	m := settle(t, s, verified("https://g.example.org/1", "https://blog.example.net/posts/new/", Approved))
	settle(t, s, verified("https://g.example.org/2", "https://blog.example.net/posts/zzz/", Approved))
	// posts/zzz.json, written after posts/new.json, cannot be.
	blocker := filepath.Join(data, "mentions", "posts", "zzz.json")
	if err := os.MkdirAll(blocker, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Export(ctx, s, data); err == nil {
		t.Fatal("export over a directory in the way: no error")
	}
	newFile := filepath.Join(data, "mentions", "posts", "new.json")
	if _, err := os.Stat(newFile); err != nil {
		t.Fatalf("the first file was not written: %v", err)
	}
	if err := os.Remove(blocker); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Moderate(ctx, []ID{m.ID}, Spam, "link farm"); err != nil {
		t.Fatal(err)
	}
	if _, err := Export(ctx, s, data); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(newFile); err == nil {
		t.Error("posts/new.json still published after its only mention was marked spam")
	}
}

// The receiver's moderation holds for webmention.io's copy of a mention
// too: one the receiver marked spam is not shown from webmention.io.
func TestExportWithholdsWebmentionIOCopies(t *testing.T) {
	s, data := exportSite(t) // mention 1: a.example.org/1 -> posts/hello-world/
	m1, err := s.Mention(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	wm := m1.JF2()
	wm.WMID = 9001
	st := exportState{Version: 1, WebmentionIO: &wmioState{SinceID: 9001, Entries: []JF2Entry{wm}}}
	b, _ := json.Marshal(st)
	writeFile(t, filepath.Join(data, "mentions", StateFile), string(b))
	if _, err := s.Moderate(ctx, []ID{1}, Spam, "spam"); err != nil {
		t.Fatal(err)
	}
	if _, err := Export(ctx, s, data); err != nil {
		t.Fatal(err)
	}
	if f, err := os.ReadFile(filepath.Join(data, "mentions", "posts", "hello-world.json")); err == nil && strings.Contains(string(f), "https://a.example.org/1") {
		t.Errorf("a mention marked spam on the receiver is exported from webmention.io:\n%s", f)
	}
}
