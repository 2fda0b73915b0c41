package linkback

import (
	"bytes"
	"context"
	"encoding/xml"
	"net/url"
	"strings"

	"golang.org/x/net/html/charset"
)

// ProtoWebSub is Result.Protocol of a WebSub publish.
const ProtoWebSub = "websub"

// FindHub returns the WebSub hub a feed declares, "" if none: the href of
// the first <link> whose rel token list holds "hub", which is
// <atom:link rel="hub"> in RSS 2.0 and <link rel="hub"> in Atom (W3C WebSub
// 4, "Discovery"). RSS's own <link> elements carry text, not rel, and are
// passed over.
func FindHub(feed []byte) string {
	d := xml.NewDecoder(bytes.NewReader(feed))
	d.Strict = false
	d.CharsetReader = charset.NewReaderLabel
	for {
		tok, err := d.Token()
		if err != nil {
			return ""
		}
		el, ok := tok.(xml.StartElement)
		if !ok || el.Name.Local != "link" {
			continue
		}
		var rel, href string
		var hrefSeen bool
		for _, a := range el.Attr {
			switch a.Name.Local {
			case "rel":
				rel = a.Value
			case "href":
				href, hrefSeen = strings.TrimSpace(a.Value), true
			}
		}
		if hrefSeen && href != "" && hasRelToken(rel, "hub") {
			return href
		}
	}
}

// WebSubPublish tells hub that the feed at feedURL changed:
// POST hub.mode=publish&hub.url=feedURL. Any 2xx is success (hubs answer
// 204 or 202); any other status is a *HTTPError, returned with the Result.
func (c *Client) WebSubPublish(ctx context.Context, hub, feedURL string) (*Result, error) {
	form := url.Values{"hub.mode": {"publish"}, "hub.url": {feedURL}}
	ans, err := c.postForm(ctx, "websub publish", hub, form)
	if err != nil {
		return nil, err
	}
	res := &Result{Protocol: ProtoWebSub, Endpoint: hub, Status: ans.resp.StatusCode, Answer: excerpt(ans.body)}
	if !ans.ok() {
		return res, ans.httpError()
	}
	return res, nil
}
