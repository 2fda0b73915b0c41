package mention

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/hugo-pingback/hugo-pingback/linkback"
)

// WebmentionIOEndpoint is webmention.io's jf2 API.
const WebmentionIOEndpoint = "https://webmention.io/api/mentions.jf2"

// Defaults of WebmentionIO.
const (
	DefaultWebmentionIOPerPage  = 100
	DefaultWebmentionIOMaxPages = 1000
)

// WebmentionIO says how to read a site's mentions from webmention.io.
type WebmentionIO struct {
	// Token is the site's API token (WEBMENTION_IO_TOKEN); it goes in the
	// token query parameter, as webmention.io's API wants, and is redacted
	// from every error.
	Token string
	// Endpoint is the API URL; "" means WebmentionIOEndpoint. Tests point it
	// at a local fake.
	Endpoint string
	// Client makes the requests; nil means linkback.NewClient's defaults.
	Client *linkback.Client
	// PerPage and MaxPages bound the paging; 0 means the defaults.
	PerPage, MaxPages int
	// Full pulls every mention, not only those newer than the last pull,
	// and replaces what earlier pulls kept: edits and deletions made on
	// webmention.io (a source gone, a mention made private) then show.
	Full bool
}

// PullWebmentionIO fetches the mentions webmention.io received since the
// last pull (since_id, kept in DATA/mentions/StateFile) page by page, and
// writes them into the same data files as Export, beside the receiver's.
// It is idempotent: a second run asks for nothing older and writes nothing.
// An error answer on any page changes nothing (not the files, not
// since_id), so the next run asks again.
func PullWebmentionIO(ctx context.Context, w WebmentionIO, dataDir string) (*ExportResult, error) {
	if strings.TrimSpace(w.Token) == "" {
		return nil, errors.New("pull from webmention.io: no token (set WEBMENTION_IO_TOKEN)")
	}
	if w.Endpoint == "" {
		w.Endpoint = WebmentionIOEndpoint
	}
	if w.PerPage <= 0 {
		w.PerPage = DefaultWebmentionIOPerPage
	}
	if w.MaxPages <= 0 {
		w.MaxPages = DefaultWebmentionIOMaxPages
	}
	if w.Client == nil {
		w.Client = linkback.NewClient(linkback.ClientOptions{})
	}
	base, err := url.Parse(w.Endpoint)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("pull from webmention.io: endpoint %q is not an http(s) URL", w.Endpoint)
	}
	return syncData(dataDir, func(st *exportState) (int, error) {
		if st.WebmentionIO == nil {
			st.WebmentionIO = &wmioState{}
		}
		since := st.WebmentionIO.SinceID
		if w.Full {
			since = 0
		}
		fresh, err := w.fetchSince(ctx, base, since)
		if err != nil {
			return 0, err
		}
		if w.Full {
			// What webmention.io has now, and nothing it no longer has.
			kept := st.WebmentionIO.Entries
			st.WebmentionIO.Entries = nil
			n := mergeEntries(st.WebmentionIO, fresh)
			return n + max(len(kept)-len(st.WebmentionIO.Entries), 0), nil
		}
		n := mergeEntries(st.WebmentionIO, fresh)
		return n, nil
	})
}

// fetchSince pages through the mentions newer than sinceID.
func (w *WebmentionIO) fetchSince(ctx context.Context, base *url.URL, sinceID int64) ([]JF2Entry, error) {
	var all []JF2Entry
	for page := 0; ; page++ {
		if page == w.MaxPages {
			return nil, fmt.Errorf("pull from webmention.io: more than %d pages of %d; raise the limit or pull more often", w.MaxPages, w.PerPage)
		}
		u := *base
		q := u.Query()
		q.Set("token", w.Token)
		q.Set("per-page", strconv.Itoa(w.PerPage))
		q.Set("page", strconv.Itoa(page))
		if sinceID > 0 {
			q.Set("since_id", strconv.FormatInt(sinceID, 10))
		}
		u.RawQuery = q.Encode()
		feed, err := w.get(ctx, &u)
		if err != nil {
			return nil, err
		}
		all = append(all, feed.Children...)
		if len(feed.Children) < w.PerPage {
			return all, nil
		}
	}
}

// get fetches one page of the API.
func (w *WebmentionIO) get(ctx context.Context, u *url.URL) (*JF2Feed, error) {
	shown := redactToken(u)
	ctx, cancel := context.WithTimeout(ctx, timeoutOf(w.Client))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("pull from webmention.io: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent(w.Client))
	data, status, err := fetch(w.Client, req, DefaultRemoteMaxBytes)
	if err != nil {
		// net/http's errors quote the URL, token and all.
		return nil, fmt.Errorf("pull from webmention.io: GET %s: %s", shown, strings.ReplaceAll(err.Error(), w.Token, "REDACTED"))
	}
	if status != http.StatusOK {
		var e struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		msg := http.StatusText(status)
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			msg = strings.TrimSpace(e.Error + ": " + e.Description)
		}
		return nil, fmt.Errorf("pull from webmention.io: GET %s: %d: %s", shown, status, msg)
	}
	var feed JF2Feed
	if err := json.Unmarshal(data, &feed); err != nil {
		return nil, fmt.Errorf("pull from webmention.io: GET %s: not a jf2 feed: %w", shown, err)
	}
	for _, e := range feed.Children {
		if e.WMID <= 0 || e.WMTarget == "" || e.WMSource == "" {
			return nil, fmt.Errorf("pull from webmention.io: GET %s: an entry without wm-id, wm-source or wm-target", shown)
		}
	}
	return &feed, nil
}

// mergeEntries adds fresh to st by wm-id (a newer copy replaces an older
// one), skips private entries, moves since_id to the highest wm-id seen,
// and returns how many entries were new or changed.
func mergeEntries(st *wmioState, fresh []JF2Entry) int {
	byID := make(map[int64]int, len(st.Entries))
	for i, e := range st.Entries {
		byID[e.WMID] = i
	}
	n := 0
	for _, e := range fresh {
		st.SinceID = max(st.SinceID, e.WMID)
		if e.WMPrivate {
			continue // webmention.io's private mentions are not for display
		}
		if i, ok := byID[e.WMID]; ok {
			if !reflect.DeepEqual(st.Entries[i], e) {
				st.Entries[i] = e
				n++
			}
			continue
		}
		byID[e.WMID] = len(st.Entries)
		st.Entries = append(st.Entries, e)
		n++
	}
	return n
}

func redactToken(u *url.URL) string {
	c := *u
	q := c.Query()
	if q.Has("token") {
		q.Set("token", "REDACTED")
	}
	c.RawQuery = q.Encode()
	return c.String()
}

func timeoutOf(c *linkback.Client) time.Duration {
	if c != nil && c.Timeout > 0 {
		return c.Timeout
	}
	return linkback.DefaultTimeout
}
