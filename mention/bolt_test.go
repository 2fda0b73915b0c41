package mention

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hugo-pingback/hugo-pingback/state"
)

var ctx = context.Background()

// fixedNow is the clock of stores opened by openStore.
var fixedNow = time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)

func openStore(t *testing.T) (*BoltStore, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), ".hugo-pingback", "mentions.db")
	s, err := Open(path, &Options{Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Check(); err != nil && !errors.Is(err, ErrClosed) {
			t.Errorf("Check at the end of the test: %v", err)
		}
		s.Close()
	})
	return s, path
}

// mention returns a verified mention of target by source, in state st.
func verified(source, target string, st State) *Mention {
	return &Mention{
		Source: source, Target: target, Protocol: Webmention, State: st, Type: Reply,
		Author:  Author{Name: "Ann Author", URL: "https://ann.example.org/", Photo: "https://ann.example.org/me.jpg"},
		Content: Content{HTML: "<p>Nice post</p>", Text: "Nice post"}, Verified: fixedNow,
	}
}

// settle stores m as the outcome of a new, settled request.
func settle(t *testing.T, s Store, m *Mention) *Mention {
	t.Helper()
	r := &Request{Source: m.Source, Target: m.Target, Protocol: m.Protocol, State: Accepted}
	if err := s.Settle(ctx, r, m); err != nil {
		t.Fatal(err)
	}
	if r.Mention != m.ID || m.ID == 0 {
		t.Fatalf("Settle: request names mention %d, mention has ID %d", r.Mention, m.ID)
	}
	return m
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func TestOpenRejectsOtherFiles(t *testing.T) {
	tests := []struct {
		name    string
		make    func(t *testing.T, path string)
		want    error
		message string
	}{
		// A file created by touch or a failed cache restore.
		{"empty file", func(t *testing.T, path string) { os.WriteFile(path, nil, 0o644) }, ErrCorrupt, "empty file"},
		// The sender's ledger given as --data by mistake: ours, but not a mention store.
		{"the sender's ledger", func(t *testing.T, path string) {
			l, err := state.Open(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			l.Close()
		}, ErrCorrupt, `bucket "mentions" is missing`},
		// Another program's bbolt file.
		{"foreign bbolt file", func(t *testing.T, path string) {
			db, err := bolt.Open(path, 0o644, nil)
			if err != nil {
				t.Fatal(err)
			}
			db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("widgets")); return err })
			db.Close()
		}, ErrCorrupt, "not a hugo-pingback mention store"},
		// A store written by a newer hugo-pingback.
		{"newer schema", func(t *testing.T, path string) {
			s, err := Open(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			s.f.DB.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("meta")).Put([]byte("schema"), []byte("2")) })
			s.Close()
		}, ErrSchema, "schema 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "mentions.db")
			tt.make(t, path)
			before := fileSum(t, path)
			for _, ro := range []bool{false, true} {
				_, err := Open(path, &Options{ReadOnly: ro})
				if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.message) {
					t.Errorf("read-only %v: Open = %v, want %v naming the file and saying %q", ro, err, tt.want, tt.message)
				}
			}
			if fileSum(t, path) != before {
				t.Error("Open changed the file")
			}
		})
	}
}

func TestOpenLocked(t *testing.T) {
	s, path := openStore(t)
	start := time.Now()
	_, err := Open(path, &Options{Timeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second Open = %v, want ErrLocked naming the file", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("second Open took %v with a 50ms timeout", d)
	}
	s.Close()
	if _, err := s.Mentions(ctx, Filter{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Mentions after Close = %v, want ErrClosed", err)
	}
}

var requestID = regexp.MustCompile(`^[0-9a-f]{48}$`)

func TestEnqueueQueuedSettle(t *testing.T) {
	s, path := openStore(t)
	var rs []*Request
	for i := range 3 {
		r := &Request{
			Source: fmt.Sprintf("https://src.example.org/%d", i), Target: "https://blog.example.net/posts/hello/",
			Protocol: Webmention, ClientIP: "192.0.2.1", Received: fixedNow.Add(time.Duration(3-i) * time.Second),
		}
		if err := s.Enqueue(ctx, r); err != nil {
			t.Fatal(err)
		}
		if !requestID.MatchString(r.ID) || r.State != Queued {
			t.Fatalf("Enqueue gave ID %q, state %q", r.ID, r.State)
		}
		rs = append(rs, r)
	}
	if rs[0].ID == rs[1].ID {
		t.Fatal("two requests got the same ID")
	}
	q, err := s.Queued(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Oldest first: the last one enqueued was received first.
	if len(q) != 3 || q[0].ID != rs[2].ID || q[2].ID != rs[0].ID {
		t.Fatalf("Queued = %+v, want the three requests oldest first", q)
	}
	if !reflect.DeepEqual(q[2], *rs[0]) {
		t.Errorf("queued request reads back as\n%+v, want\n%+v", q[2], *rs[0])
	}

	// A passing failure stays queued, with its schedule.
	retry := *rs[1]
	retry.Attempts, retry.NextAttempt, retry.Result = 1, fixedNow.Add(time.Minute), "source answered 503"
	if err := s.Settle(ctx, &retry, nil); err != nil {
		t.Fatal(err)
	}
	// A verified one leaves the queue and makes a mention.
	ok := *rs[0]
	ok.State, ok.Result = Accepted, "approved"
	m := verified(ok.Source, ok.Target, Approved)
	if err := s.Settle(ctx, &ok, m); err != nil {
		t.Fatal(err)
	}
	// A refused one leaves the queue and makes none.
	refused := *rs[2]
	refused.State, refused.Result = Refused, "the source does not link to the target"
	if err := s.Settle(ctx, &refused, nil); err != nil {
		t.Fatal(err)
	}
	q, err = s.Queued(ctx)
	if err != nil || len(q) != 1 || q[0].ID != rs[1].ID || q[0].Attempts != 1 {
		t.Fatalf("Queued after settling = %+v, %v; want only the retry", q, err)
	}
	got, err := s.Request(ctx, ok.ID)
	if err != nil || got.State != Accepted || got.Mention != m.ID || m.ID != 1 {
		t.Errorf("Request(%s) = %+v, %v; want accepted, naming mention 1", ok.ID, got, err)
	}
	if _, err := s.Request(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Request(unknown) = %v, want ErrNotFound", err)
	}

	// Everything survives a reopen.
	s.Close()
	s2, err := Open(path, &Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if err := s2.Check(); err != nil {
		t.Fatal(err)
	}
	got2, err := s2.Mention(ctx, m.ID)
	if err != nil || !reflect.DeepEqual(got2, *m) {
		t.Errorf("mention after reopen:\n got %+v, %v\nwant %+v", got2, err, *m)
	}
	if err := s2.Enqueue(ctx, &Request{Source: "https://a.example/", Target: "https://b.example/"}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Enqueue on a read-only store = %v, want ErrReadOnly", err)
	}
}

// TestSettleUpsertsOneMention sends updates for one (source, target) pair
// written differently: each must update the same mention.
func TestSettleUpsertsOneMention(t *testing.T) {
	s, _ := openStore(t)
	first := settle(t, s, verified("https://Blog.example.org/p", "https://blog.example.net/posts/hello/", Pending))
	first.Received = fixedNow.Add(-time.Hour) // what it was stored with
	variants := []struct{ source, target string }{
		// Host case and a trailing slash.
		{"https://blog.example.org/p/", "https://blog.example.net/posts/hello"},
		// Default port and index.html.
		{"https://blog.example.org:443/p/index.html", "https://BLOG.example.net/posts/hello/index.html"},
	}
	for _, v := range variants {
		m := verified(v.source, v.target, Pending)
		m.Content.Text = "edited: " + v.source
		settle(t, s, m)
		if m.ID != first.ID {
			t.Errorf("%s -> %s made mention %d, want an update of %d", v.source, v.target, m.ID, first.ID)
		}
	}
	all, err := s.Mentions(ctx, Filter{})
	if err != nil || len(all) != 1 || all[0].Content.Text != "edited: "+variants[1].source {
		t.Fatalf("Mentions() = %+v, %v; want the one mention, updated", all, err)
	}
	got, ok, err := s.Find(ctx, "http://blog.example.org/p", "https://blog.example.net/posts/hello/")
	if err != nil || ok {
		t.Errorf("Find with http instead of https = %+v, %v, %v; want none (another page)", got, ok, err)
	}
	if _, ok, _ := s.Find(ctx, "https://BLOG.example.org/p", "https://blog.example.net/posts/hello"); !ok {
		t.Error("Find with the other spelling found nothing")
	}
	// A new pair is a new mention.
	other := settle(t, s, verified("https://blog.example.org/q", "https://blog.example.net/posts/hello/", Pending))
	if other.ID != first.ID+1 {
		t.Errorf("new pair got ID %d, want %d", other.ID, first.ID+1)
	}
	// Bad records are refused, naming the value.
	bad := verified("ftp://x.example/", "https://blog.example.net/", Pending)
	if err := s.Settle(ctx, &Request{Source: bad.Source, Target: bad.Target}, bad); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "ftp://x.example/") {
		t.Errorf("Settle with an ftp source = %v, want ErrInvalid naming it", err)
	}
	bad = verified("https://x.example/", "https://blog.example.net/", "published")
	if err := s.Settle(ctx, &Request{Source: bad.Source, Target: bad.Target}, bad); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "published") {
		t.Errorf("Settle with an unknown state = %v, want ErrInvalid naming it", err)
	}
}

func TestModerateAndHasApproved(t *testing.T) {
	s, _ := openStore(t)
	a := settle(t, s, verified("https://friend.example.org/1", "https://blog.example.net/a/", Pending))
	b := settle(t, s, verified("https://Friend.example.org/2", "https://blog.example.net/b/", Pending))
	if ok, err := s.HasApproved(ctx, "friend.example.org"); err != nil || ok {
		t.Fatalf("HasApproved before approval = %v, %v", ok, err)
	}

	// An unknown ID changes nothing, not even the known ones.
	if _, err := s.Moderate(ctx, []ID{a.ID, 99}, Approved, ""); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "99") {
		t.Fatalf("Moderate with an unknown ID = %v, want ErrNotFound naming 99", err)
	}
	if m, _ := s.Mention(ctx, a.ID); m.State != Pending {
		t.Errorf("mention %d is %s after a failed Moderate, want pending", a.ID, m.State)
	}
	if _, err := s.Moderate(ctx, []ID{a.ID}, "published", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("Moderate to an unknown state = %v, want ErrInvalid", err)
	}

	got, err := s.Moderate(ctx, []ID{a.ID, b.ID}, Approved, "")
	if err != nil || len(got) != 2 || got[0].State != Approved || got[1].State != Approved || !got[0].Updated.Equal(fixedNow) {
		t.Fatalf("Moderate = %+v, %v", got, err)
	}
	for _, host := range []string{"friend.example.org", "FRIEND.example.org."} {
		if ok, err := s.HasApproved(ctx, host); err != nil || !ok {
			t.Errorf("HasApproved(%q) = %v, %v; want true", host, ok, err)
		}
	}
	if n, err := s.ApprovedCount(ctx, "friend.example.org"); err != nil || n != 2 {
		t.Errorf("ApprovedCount = %d, %v; want 2", n, err)
	}
	// A host that only shares a prefix is another host.
	if ok, _ := s.HasApproved(ctx, "friend.example"); ok {
		t.Error("HasApproved(friend.example) = true")
	}
	if _, err := s.Moderate(ctx, []ID{a.ID, b.ID}, Spam, "spam after all"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.HasApproved(ctx, "friend.example.org"); ok {
		t.Error("HasApproved after both became spam = true")
	}
	if m, _ := s.Mention(ctx, b.ID); m.Reason != "spam after all" {
		t.Errorf("reason = %q", m.Reason)
	}
}

func TestMentionsFilter(t *testing.T) {
	s, _ := openStore(t)
	hello, about := "https://blog.example.net/posts/hello/", "https://blog.example.net/about/"
	settle(t, s, verified("https://a.example.org/1", hello, Pending))  // 1
	settle(t, s, verified("https://b.example.org/1", hello, Approved)) // 2
	settle(t, s, verified("https://a.example.org/2", about, Spam))     // 3
	settle(t, s, verified("https://c.example.org/1", hello, Approved)) // 4
	settle(t, s, verified("https://a.example.org/3", about, Deleted))  // 5
	tests := []struct {
		name string
		f    Filter
		want []ID
	}{
		{"zero filter selects all", Filter{}, []ID{1, 2, 3, 4, 5}},
		{"one state", Filter{States: []State{Approved}}, []ID{2, 4}},
		{"two states, ID order", Filter{States: []State{Spam, Pending}}, []ID{1, 3}},
		{"target, other spelling", Filter{Target: "https://BLOG.example.net/posts/hello"}, []ID{1, 2, 4}},
		{"target and state", Filter{Target: hello, States: []State{Approved}}, []ID{2, 4}},
		{"source", Filter{Source: "https://a.example.org/2/"}, []ID{3}},
		{"since", Filter{Since: 3}, []ID{4, 5}},
		{"since with a state", Filter{Since: 2, States: []State{Approved}}, []ID{4}},
		{"since with a target", Filter{Since: 1, Target: hello}, []ID{2, 4}},
		{"limit", Filter{Limit: 2}, []ID{1, 2}},
		{"limit with a state", Filter{States: []State{Approved, Deleted}, Limit: 2}, []ID{2, 4}},
		{"nothing matches", Filter{Target: "https://blog.example.net/nope/"}, nil},
	}
	for _, tt := range tests {
		got, err := s.Mentions(ctx, tt.f)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		var ids []ID
		for _, m := range got {
			ids = append(ids, m.ID)
		}
		if !reflect.DeepEqual(ids, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, ids, tt.want)
		}
	}
	if _, err := s.Mentions(ctx, Filter{States: []State{"bogus"}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown state in a filter = %v, want ErrInvalid", err)
	}
	if _, err := s.Mentions(ctx, Filter{Target: "/relative"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("relative target in a filter = %v, want ErrInvalid", err)
	}
}

func TestBlock(t *testing.T) {
	s, _ := openStore(t)
	p1 := settle(t, s, verified("https://spam.example/1", "https://blog.example.net/a/", Pending))
	ok := settle(t, s, verified("https://spam.example/2", "https://blog.example.net/b/", Approved))
	other := settle(t, s, verified("https://sub.spam.example/1", "https://blog.example.net/a/", Pending))
	if err := s.Block(ctx, "Spam.Example."); err != nil {
		t.Fatal(err)
	}
	if err := s.Block(ctx, "spam.example"); err != nil {
		t.Errorf("blocking twice: %v", err)
	}
	if err := s.Block(ctx, "aaa.example"); err != nil {
		t.Fatal(err)
	}
	hosts, err := s.Blocked(ctx)
	if err != nil || !reflect.DeepEqual(hosts, []string{"aaa.example", "spam.example"}) {
		t.Errorf("Blocked() = %v, %v", hosts, err)
	}
	want := map[ID]struct {
		st     State
		reason string
	}{
		p1.ID:    {Spam, BlockedReason}, // pending from the host: spam
		ok.ID:    {Approved, ""},        // a moderator's approval stands
		other.ID: {Pending, ""},         // a sub-domain is another host
	}
	for id, w := range want {
		m, _ := s.Mention(ctx, id)
		if m.State != w.st || m.Reason != w.reason {
			t.Errorf("mention %d: %s %q, want %s %q", id, m.State, m.Reason, w.st, w.reason)
		}
	}
	for _, bad := range []string{"", "https://spam.example/", "a b"} {
		if err := s.Block(ctx, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("Block(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

// TestCheckFindsBadIndexes damages the indexes behind the store's back.
func TestCheckFindsBadIndexes(t *testing.T) {
	tests := []struct {
		name   string
		damage func(tx *bolt.Tx) error
		says   string
	}{
		// An approved entry for a mention that is pending.
		{"stray index entry", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketApproved).Put(indexKey("a.example.org", 1), nil)
		}, "index approved has entry"},
		// A state entry gone.
		{"missing index entry", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketStates).Delete(indexKey("pending", 1))
		}, "index states has 0 entries, the records imply 1"},
		// A mention record that is not JSON.
		{"bad record", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketMentions).Put(idKey(1), []byte{0x01, 0x02})
		}, "mention 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "mentions.db")
			s, err := Open(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			settle(t, s, verified("https://a.example.org/1", "https://blog.example.net/a/", Pending))
			if err := s.Check(); err != nil {
				t.Fatalf("Check before damage: %v", err)
			}
			if err := s.f.DB.Update(tt.damage); err != nil {
				t.Fatal(err)
			}
			err = s.Check()
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.says) || !strings.Contains(err.Error(), path) {
				t.Errorf("Check() = %v, want ErrCorrupt naming the file and saying %q", err, tt.says)
			}
			s.Close()
		})
	}
}

// TestEnqueueConcurrent has many goroutines enqueue at once, as a receiver's
// handlers do: every acknowledged request is stored, in one piece.
func TestEnqueueConcurrent(t *testing.T) {
	s, _ := openStore(t)
	const n = 300
	ids := make(chan string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &Request{Source: fmt.Sprintf("https://src.example.org/%d", i), Target: "https://blog.example.net/", Protocol: Webmention}
			if err := s.Enqueue(ctx, r); err != nil {
				t.Error(err)
				return
			}
			ids <- r.ID
		}()
	}
	wg.Wait()
	close(ids)
	q, err := s.Queued(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, r := range q {
		stored[r.ID] = true
	}
	count := 0
	for id := range ids {
		count++
		if !stored[id] {
			t.Errorf("acknowledged request %s is not stored", id)
		}
	}
	if count != n || len(q) != n {
		t.Errorf("%d acknowledged, %d queued; want %d", count, len(q), n)
	}
}

func TestContextCanceled(t *testing.T) {
	s, _ := openStore(t)
	c, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Enqueue(c, &Request{Source: "https://a.example/", Target: "https://b.example/"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Enqueue with a canceled context = %v", err)
	}
	if q, _ := s.Queued(ctx); len(q) != 0 {
		t.Errorf("a canceled Enqueue stored %d requests", len(q))
	}
}

// TestCorruptionWhileOpen truncates the file under an open store, as a disk
// error or a careless copy would: the next read fails with ErrCorrupt
// naming the file instead of crashing the receiver, and Close releases the
// lock.
func TestCorruptionWhileOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mentions.db")
	s, err := Open(path, &Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 400 {
		m := verified(fmt.Sprintf("https://src.example.org/%d", i), "https://blog.example.net/p/", Approved)
		m.Content.Text = strings.Repeat("text ", 100)
		settle(t, s, m)
	}
	if err := os.Truncate(path, 2*4096); err != nil {
		t.Fatal(err)
	}
	_, err = s.Mentions(ctx, Filter{})
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Mentions on a truncated file = %v, want ErrCorrupt naming it", err)
	}
	if _, err := s.HasApproved(ctx, "src.example.org"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("HasApproved after corruption = %v, want ErrCorrupt", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := Open(path, &Options{Timeout: -1}); errors.Is(err, ErrLocked) || !errors.Is(err, ErrCorrupt) {
		t.Errorf("Open of the truncated file = %v, want ErrCorrupt (and no lock left)", err)
	}
}
