package mention_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/hugo-pingback/hugo-pingback/mention"
)

// Example follows a Webmention through the store: queued when it arrives,
// settled with the verified mention and the policy's verdict, approved by a
// moderator, and exported into the Hugo site's data dir.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "mentions")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	s, err := mention.Open(filepath.Join(dir, ".hugo-pingback", "mentions.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	// 1. A Webmention arrives: commit it, then answer 202.
	r := &mention.Request{Source: "https://ann.example.org/notes/1", Target: "https://blog.example.net/posts/hello-world/", Protocol: mention.Webmention}
	if err := s.Enqueue(ctx, r); err != nil {
		log.Fatal(err)
	}

	// 2. Verified (by package receiver): the policy decides, Settle stores.
	m := &mention.Mention{Source: r.Source, Target: r.Target, Protocol: r.Protocol, Type: mention.Reply,
		Author: mention.Author{Name: "Ann"}, Content: mention.Content{Text: "Welcome!"}}
	policy, err := mention.NewPolicy(mention.ModerateUnknown, nil, []string{"*.spam.example"})
	if err != nil {
		log.Fatal(err)
	}
	m.State, m.Reason, err = policy.Decide(ctx, s, m)
	if err != nil {
		log.Fatal(err)
	}
	r.State, r.Result = mention.Accepted, string(m.State)
	if err := s.Settle(ctx, r, m); err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.ID, m.State, m.Reason)

	// 3. A moderator approves it; the next mention from that host is trusted.
	if _, err := s.Moderate(ctx, []mention.ID{m.ID}, mention.Approved, ""); err != nil {
		log.Fatal(err)
	}
	next := &mention.Mention{Source: "https://ann.example.org/notes/2", Target: r.Target}
	st, _, _ := policy.Decide(ctx, s, next)
	fmt.Println("next from ann.example.org:", st)

	// 4. Into the site: one jf2 file per page.
	res, err := mention.Export(ctx, s, filepath.Join(dir, "data"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Written)
	// Output:
	// 1 pending held: first mention from ann.example.org
	// next from ann.example.org: approved
	// [posts/hello-world.json]
}
