package receiver

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/hugo-pingback/hugo-pingback/linkback"
)

// hook POSTs the on-approve URL (a site's rebuild hook) when mentions were
// approved, at most once per interval: approvals in between are folded into
// the next POST. It never blocks the request that approved.
type hook struct {
	client   *linkback.Client
	url      string
	interval time.Duration
	log      *slog.Logger
	kick     chan struct{}
	// posted, when set (tests), is called after each POST with its error.
	posted func(error)
	m      *metrics
}

func newHook(c *linkback.Client, url string, interval time.Duration, log *slog.Logger) *hook {
	if interval <= 0 {
		interval = 5 * time.Minute
	}
	return &hook{client: c, url: url, interval: interval, log: log, kick: make(chan struct{}, 1)}
}

// trigger asks for a POST; it returns at once.
func (h *hook) trigger() {
	if h.url == "" {
		return
	}
	select {
	case h.kick <- struct{}{}:
	default: // one is already due
	}
}

// run POSTs when triggered, spacing POSTs by the interval, until ctx ends.
func (h *hook) run(ctx context.Context) {
	if h.url == "" {
		return
	}
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.kick:
		}
		if wait := h.interval - time.Since(last); !last.IsZero() && wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		last = time.Now()
		err := h.post(ctx)
		if err != nil {
			h.log.Warn("on-approve POST failed", "url", h.url, "err", err)
		} else {
			h.log.Info("on-approve POST sent", "url", h.url)
		}
		if h.m != nil {
			outcome := "ok"
			if err != nil {
				outcome = "error"
			}
			h.m.hooks.WithLabelValues(outcome).Inc()
		}
		if h.posted != nil {
			h.posted(err)
		}
	}
}

func (h *hook) post(ctx context.Context) error {
	if h.client == nil || h.client.HTTP == nil {
		return fmt.Errorf("post %s: no client", h.url)
	}
	ctx, cancel := context.WithTimeout(ctx, h.client.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, strings.NewReader("{}"))
	if err != nil {
		return fmt.Errorf("post %s: %w", h.url, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", h.client.UserAgent)
	resp, err := h.client.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("post on-approve URL: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("post on-approve URL: HTTP %d", resp.StatusCode)
	}
	return nil
}
