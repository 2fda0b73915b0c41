package sender

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// gates keeps hosts polite: one request in flight per host, notification
// POSTs to one host at least interval apart, and a host that answered 429
// left alone until its back-off ends.
type gates struct {
	interval time.Duration
	now      func() time.Time
	mu       sync.Mutex
	m        map[string]*gate
}

type gate struct {
	sem      chan struct{}
	lastPost time.Time
	until    time.Time
}

func newGates(interval time.Duration, now func() time.Time) *gates {
	return &gates{interval: interval, now: now, m: map[string]*gate{}}
}

func (g *gates) get(host string) *gate {
	g.mu.Lock()
	defer g.mu.Unlock()
	gt, ok := g.m[host]
	if !ok {
		gt = &gate{sem: make(chan struct{}, 1)}
		g.m[host] = gt
	}
	return gt
}

// errNotStarted wraps ctx's error when the wait for a host outlasted ctx:
// the request was never made.
var errNotStarted = errors.New("not started")

// do runs fn as the only request to host, after any wait the host is owed.
// It returns ctx's error, wrapped in errNotStarted, without calling fn when
// the wait outlasts ctx.
func (g *gates) do(ctx context.Context, host string, post bool, fn func(context.Context) error) error {
	gt := g.get(host)
	select {
	case gt.sem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", errNotStarted, ctx.Err())
	}
	defer func() { <-gt.sem }()
	g.mu.Lock()
	ready := gt.until
	if post && g.interval > 0 && !gt.lastPost.IsZero() {
		if t := gt.lastPost.Add(g.interval); t.After(ready) {
			ready = t
		}
	}
	g.mu.Unlock()
	if wait := ready.Sub(g.now()); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w: %w", errNotStarted, ctx.Err())
		}
	}
	err := fn(ctx)
	if post {
		g.mu.Lock()
		gt.lastPost = g.now()
		g.mu.Unlock()
	}
	return err
}

// block keeps host idle until t.
func (g *gates) block(host string, t time.Time) {
	gt := g.get(host)
	g.mu.Lock()
	if t.After(gt.until) {
		gt.until = t
	}
	g.mu.Unlock()
}
