package linkback

import (
	"context"
	"errors"
)

// Result is what a receiver answered to one notification.
type Result struct {
	Protocol string // "pingback", "webmention", "trackback"
	Endpoint string // where the notification was sent
	Answer   string // the receiver's words: XML-RPC string, fault string, body excerpt
	Location string // Webmention 201/202 status URL, if any
	Status   int    // HTTP status of the answer, 0 when none came
}

// Pingback calls pingback.ping(source, target) at endpoint. target must be
// the URL as linked on the source page, not where it redirects to.
//
// The Result is returned whenever the receiver answered, also with an
// error, so the answer can be recorded. Errors are a *FaultError (48,
// "already registered", counts as done: see Classify), a *HTTPError, a
// *ProtocolError, ErrTooLarge, or the transport's.
func (c *Client) Pingback(ctx context.Context, endpoint, source, target string) (*Result, error) {
	answer, status, err := c.call(ctx, endpoint, "pingback.ping", []string{source, target})
	if status == 0 {
		return nil, err
	}
	res := &Result{Protocol: ProtoPingback, Endpoint: endpoint, Answer: answer, Status: status}
	var fe *FaultError
	if errors.As(err, &fe) {
		res.Answer = fe.Message
	}
	return res, err
}
