package sender

import (
	"context"
	"fmt"
	"os"
	"sort"

	"github.com/cespare/xxhash/v2"

	"github.com/hugo-pingback/hugo-pingback/linkback"
	"github.com/hugo-pingback/hugo-pingback/linkurl"
	"github.com/hugo-pingback/hugo-pingback/site"
	"github.com/hugo-pingback/hugo-pingback/state"
)

// services tells the wider web that the site changed, once per run in which
// a page or a feed was new, changed or deleted: weblogUpdates pings to each
// update service, and WebSub publish requests for each changed feed.
//
// A feed's new hash is recorded only once its hub has the news (or refused
// it for good): a run killed before, or a hub that failed for a passing
// reason, leaves the feed changed for the next run, which tells again.
func (s *Sender) services(ctx context.Context, pagesChanged bool, files []site.File) ([]Item, error) {
	now := s.opts.Now()
	var b state.Batch
	var items []Item
	home := s.cfg.SiteRoots()[0].BaseURL

	feeds, err := s.changedFeeds(files)
	if err != nil {
		return nil, err
	}
	if !pagesChanged && len(feeds) == 0 {
		return nil, nil
	}
	feedURL := s.cfg.FeedURL
	if feedURL == "" && len(feeds) > 0 {
		feedURL = feeds[0].url
		for _, f := range feeds {
			if f.url == home+"index.xml" {
				feedURL = f.url
			}
		}
	}
	for _, svc := range s.cfg.PingServices {
		if ctx.Err() != nil {
			break
		}
		n := state.Notification{Source: home, Target: svc, Protocol: "weblogUpdates", Endpoint: svc, Created: now, Updated: now}
		var res *linkback.Result
		err := s.gateless(ctx, func(c context.Context) error {
			var err error
			res, err = s.client.WeblogUpdate(c, svc, s.siteTitle(), home, feedURL)
			return err
		})
		items = append(items, s.recordService(&n, res, err))
		b.Services = append(b.Services, n)
	}
	for _, f := range feeds {
		hub := s.cfg.WebSubHub
		if hub == "" {
			hub = f.hub
		}
		if ctx.Err() != nil {
			break
		}
		if hub == "" {
			b.Feeds = append(b.Feeds, f.record)
			continue
		}
		n := state.Notification{Source: f.url, Target: hub, Protocol: "websub", Endpoint: hub, Created: now, Updated: now}
		var res *linkback.Result
		err := s.gateless(ctx, func(c context.Context) error {
			var err error
			res, err = s.client.WebSubPublish(c, hub, f.url)
			return err
		})
		items = append(items, s.recordService(&n, res, err))
		b.Services = append(b.Services, n)
		if c := linkback.Classify(err); c == linkback.ClassDone || c == linkback.ClassPermanent {
			b.Feeds = append(b.Feeds, f.record)
		}
	}
	if err := s.ledger.Commit(&b); err != nil {
		return nil, err // names the ledger already
	}
	return items, nil
}

// gateless runs one request to a service within the run's request timeout.
func (s *Sender) gateless(ctx context.Context, fn func(context.Context) error) error {
	c, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	return fn(c)
}

func (s *Sender) recordService(n *state.Notification, res *linkback.Result, err error) Item {
	now := s.opts.Now()
	it := Item{Source: n.Source, Target: n.Target, Kind: n.Protocol, Protocol: n.Protocol, Endpoint: n.Endpoint}
	if res != nil {
		n.Answer, n.Code = res.Answer, res.Status
	}
	if err != nil {
		n.Status, n.LastError = state.StatusFailed, linkback.Explain(err)
	} else {
		n.Status, n.NotifiedAt = state.StatusNotified, now
	}
	n.Attempts, n.Sends = 1, 1
	it.Status, it.Error, it.Answer = string(n.Status), n.LastError, n.Answer
	return it
}

type feed struct {
	url, hub string
	record   state.Feed // the feed's new hash, committed once told
}

// changedFeeds reads the feeds of the build and returns those whose bytes
// changed since the ledger saw them.
func (s *Sender) changedFeeds(files []site.File) ([]feed, error) {
	known, err := s.ledger.Feeds()
	if err != nil {
		return nil, err
	}
	var feeds []feed
	now := s.opts.Now()
	for _, f := range files {
		data, err := os.ReadFile(f.Path)
		if err != nil {
			return nil, fmt.Errorf("read feed %s: %w", f.Path, err)
		}
		hash := fmt.Sprintf("%016x", xxhash.Sum64(data))
		if old, ok := known[f.URL]; ok && old.Hash == hash {
			continue
		}
		rec := state.Feed{URL: f.URL, File: f.Rel, Hash: hash, LastSeen: now}
		feeds = append(feeds, feed{url: f.URL, hub: linkback.FindHub(data), record: rec})
	}
	sort.Slice(feeds, func(i, j int) bool { return feeds[i].url < feeds[j].url })
	return feeds, nil
}

func (s *Sender) siteTitle() string {
	if s.cfg.SiteTitle != "" {
		return s.cfg.SiteTitle
	}
	if u := linkurl.Parse(s.cfg.SiteRoots()[0].BaseURL); u != nil {
		return u.Host
	}
	return ""
}

// DeletedPages returns the URLs of the pages the ledger knows were deleted,
// sorted: the pages whose 410 rules site.WriteHostFiles writes into
// _redirects (with tombstones on), so that receivers checking a Webmention
// delete see them gone. Build and inject write them before the deploy, so
// the rules ship with the build that no longer has the pages; send never
// writes them.
func DeletedPages(l *state.Ledger) ([]string, error) {
	var gone []string
	err := l.ForEachPageHead(func(url string, h state.PageHead) error {
		if h.Deleted {
			gone = append(gone, url)
		}
		return nil
	})
	if err != nil {
		return nil, err // state's errors name the ledger
	}
	sort.Strings(gone)
	return gone, nil
}
