package mention

import (
	"bytes"
	"encoding/json"
	"time"
)

// JF2Feed is a jf2 feed of mentions, the shape of webmention.io's
// api/mentions.jf2 answer and of the data files Export writes.
type JF2Feed struct {
	Type     string     `json:"type"` // "feed"
	Name     string     `json:"name"` // "Webmentions"
	Children []JF2Entry `json:"children"`
}

// JF2Author is an entry's author, a jf2 card. webmention.io sends every
// field, empty when unknown, so templates can test them without a "with".
type JF2Author struct {
	Type  string `json:"type"` // "card"
	Name  string `json:"name"`
	Photo string `json:"photo"`
	URL   string `json:"url"`
}

// JF2Content is an entry's content: sanitised HTML and plain text (Value
// and ContentType repeat them as webmention.io does, for templates that
// read those).
type JF2Content struct {
	ContentType string `json:"content-type,omitempty"`
	Value       string `json:"value,omitempty"`
	HTML        string `json:"html,omitempty"`
	Text        string `json:"text,omitempty"`
}

// JF2Entry is one mention in jf2, field for field as webmention.io writes
// it: wm-property names the relation ("in-reply-to", "like-of", ...) and
// the property itself is present with the target as its value, so both
// `eq (index . "wm-property") "like-of"` and `isset . "like-of"` work.
type JF2Entry struct {
	Type       string      `json:"type"` // "entry"
	Author     JF2Author   `json:"author"`
	URL        string      `json:"url"`
	Published  *string     `json:"published"` // null when the source gives none
	WMReceived string      `json:"wm-received"`
	WMID       int64       `json:"wm-id"`
	WMSource   string      `json:"wm-source"`
	WMTarget   string      `json:"wm-target"`
	WMProtocol string      `json:"wm-protocol,omitempty"`
	Name       string      `json:"name,omitempty"`
	Content    *JF2Content `json:"content,omitempty"`
	InReplyTo  string      `json:"in-reply-to,omitempty"`
	LikeOf     string      `json:"like-of,omitempty"`
	RepostOf   string      `json:"repost-of,omitempty"`
	BookmarkOf string      `json:"bookmark-of,omitempty"`
	MentionOf  string      `json:"mention-of,omitempty"`
	RSVP       string      `json:"rsvp,omitempty"`
	WMProperty string      `json:"wm-property"`
	WMPrivate  bool        `json:"wm-private"`
}

// jf2Time is how times appear in jf2: RFC 3339 in UTC, whole seconds.
const jf2Time = "2006-01-02T15:04:05Z"

// JF2 returns m as a jf2 entry. ClientIP, Reason and the moderation state
// are never in it: jf2 is what a site shows.
func (m *Mention) JF2() JF2Entry {
	e := JF2Entry{
		Type:       "entry",
		Author:     JF2Author{Type: "card", Name: m.Author.Name, Photo: m.Author.Photo, URL: m.Author.URL},
		URL:        m.URL,
		WMReceived: m.Received.UTC().Format(jf2Time),
		WMID:       int64(m.ID),
		WMSource:   m.Source,
		WMTarget:   m.Target,
		WMProtocol: string(m.Protocol),
		Name:       m.Name,
		WMProperty: m.Type.Property(),
	}
	if e.URL == "" {
		e.URL = m.Source
	}
	if !m.Published.IsZero() {
		p := m.Published.UTC().Format(jf2Time)
		e.Published = &p
	}
	if m.Content.HTML != "" || m.Content.Text != "" {
		e.Content = &JF2Content{ContentType: "text/html", Value: m.Content.Text, HTML: m.Content.HTML, Text: m.Content.Text}
	}
	switch m.Type {
	case Reply:
		e.InReplyTo = m.Target
	case Like:
		e.LikeOf = m.Target
	case Repost:
		e.RepostOf = m.Target
	case Bookmark:
		e.BookmarkOf = m.Target
	case RSVP:
		// webmention.io: an RSVP is a reply with an rsvp value.
		e.InReplyTo, e.RSVP = m.Target, m.RSVP
	default:
		e.MentionOf = m.Target
	}
	return e
}

// Received returns the entry's wm-received time (zero when it does not parse).
func (e *JF2Entry) Received() time.Time {
	t, _ := time.Parse(time.RFC3339, e.WMReceived)
	return t
}

// EncodeJF2 returns f as the bytes Export writes: indented JSON with HTML
// left unescaped (it is readable in a diff; JSON needs no escaping of <),
// and a final newline. The same feed always gives the same bytes.
func EncodeJF2(f *JF2Feed) ([]byte, error) {
	if f.Children == nil {
		f.Children = []JF2Entry{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(f); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
