package receiver

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hugo-pingback/hugo-pingback/internal/testenv"

	"github.com/chromedp/chromedp"

	"github.com/hugo-pingback/hugo-pingback/mention"
)

// chromium finds Debian's chromium (or HP_CHROMIUM), or skips the test;
// CI installs it (apt-get install -y chromium). TestAdminPageForms covers
// the page with form posts where there is none.
func chromium(t *testing.T) string {
	return testenv.Program(t, "the admin page's browser test", os.Getenv("HP_CHROMIUM"), "/usr/bin/chromium-browser", "chromium")
}

// The moderation page in a real headless browser: log in, see a pending
// mention, approve it, see it gone from pending and approved in the store.
func TestAdminPageInBrowser(t *testing.T) {
	exe := chromium(t)
	r := newRig(t, withAdmin)
	hello := target("posts/hello/")
	seeded := r.seed(mention.Mention{Source: "https://friend.example/reply", Target: hello, Protocol: mention.Webmention,
		State: mention.Pending, Type: mention.Reply, Author: mention.Author{Name: "Frieda Friend"}, Excerpt: "What a post!"})

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	err := chromedp.Do(ctx,
		chromedp.Navigate(r.http.URL+"/admin/"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), adminToken),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("mention-1")),
	)
	if err != nil {
		t.Fatalf("browser: log in: %v", err)
	}
	pending, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("mentions")))
	if err != nil {
		t.Fatalf("browser: read the list: %v", err)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("approved-1")),
		chromedp.WaitVisible(chromedp.ID("empty")),
	)
	if err != nil {
		t.Fatalf("browser: approve: %v", err)
	}
	after, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("empty")))
	if err != nil {
		t.Fatal(err)
	}
	message, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("message")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(pending, "Frieda Friend") || !strings.Contains(pending, "What a post!") || !strings.Contains(pending, "friend.example/reply") {
		t.Fatalf("the pending list shows %q", pending)
	}
	if after != "No pending mentions." || message != "mention 1 is now approved" {
		t.Fatalf("after approving: %q, %q", after, message)
	}
	m, err := r.store.Mention(context.Background(), seeded[0].ID)
	if err != nil || m.State != mention.Approved {
		t.Fatalf("in the store: %+v, %v", m, err)
	}
}
