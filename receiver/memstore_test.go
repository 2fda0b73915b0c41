package receiver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hugo-pingback/hugo-pingback/linkurl"
	"github.com/hugo-pingback/hugo-pingback/mention"
)

// memStore is a test double of mention.Store for the unit tests of the
// handlers: the smallest honest in-memory implementation of the contract.
// The integration, crash and benchmark tests use the real bbolt store.
type memStore struct {
	mu       sync.Mutex
	requests map[string]mention.Request
	order    []string
	mentions []mention.Mention
	blocked  []string
	enqueued int
}

func newMemStore() *memStore { return &memStore{requests: map[string]mention.Request{}} }

func (s *memStore) Enqueue(_ context.Context, r *mention.Request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	r.ID, r.State = hex.EncodeToString(b), mention.Queued
	if r.Received.IsZero() {
		r.Received = time.Now().UTC()
	}
	s.requests[r.ID] = *r
	s.order = append(s.order, r.ID)
	s.enqueued++
	return nil
}

func (s *memStore) Request(_ context.Context, id string) (mention.Request, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.requests[id]
	if !ok {
		return r, mention.ErrNotFound
	}
	return r, nil
}

func (s *memStore) Queued(context.Context) ([]mention.Request, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []mention.Request
	for _, id := range s.order {
		if r := s.requests[id]; r.State == mention.Queued {
			out = append(out, r)
		}
	}
	return out, nil
}

func (s *memStore) Settle(_ context.Context, r *mention.Request, m *mention.Mention) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.ID == "" { // settled without Enqueue (Pingback, Trackback)
		b := make([]byte, 12)
		_, _ = rand.Read(b)
		r.ID = hex.EncodeToString(b)
		s.order = append(s.order, r.ID)
	}
	if m != nil {
		i := s.find(m.Source, m.Target)
		if i < 0 {
			m.ID = mention.ID(len(s.mentions) + 1)
			s.mentions = append(s.mentions, *m)
		} else {
			m.ID = s.mentions[i].ID
			s.mentions[i] = *m
		}
		r.Mention = m.ID
	}
	s.requests[r.ID] = *r
	return nil
}

func (s *memStore) find(source, target string) int {
	for i, m := range s.mentions {
		if m.Source == source && linkurl.Same(m.Target, target) {
			return i
		}
	}
	return -1
}

func (s *memStore) Mention(_ context.Context, id mention.ID) (mention.Mention, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id < 1 || int(id) > len(s.mentions) {
		return mention.Mention{}, mention.ErrNotFound
	}
	return s.mentions[id-1], nil
}

func (s *memStore) Find(_ context.Context, source, target string) (mention.Mention, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := s.find(source, target); i >= 0 {
		return s.mentions[i], true, nil
	}
	return mention.Mention{}, false, nil
}

func (s *memStore) Mentions(_ context.Context, f mention.Filter) ([]mention.Mention, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []mention.Mention
	for _, m := range s.mentions {
		if (len(f.States) > 0 && !slices.Contains(f.States, m.State)) || m.ID <= f.Since ||
			(f.Target != "" && !linkurl.Same(f.Target, m.Target)) || (f.Source != "" && f.Source != m.Source) {
			continue
		}
		out = append(out, m)
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
	}
	return out, nil
}

func (s *memStore) Moderate(_ context.Context, ids []mention.ID, st mention.State, reason string) ([]mention.Mention, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if id < 1 || int(id) > len(s.mentions) {
			return nil, mention.ErrNotFound
		}
	}
	var out []mention.Mention
	for _, id := range ids {
		s.mentions[id-1].State, s.mentions[id-1].Reason = st, reason
		out = append(out, s.mentions[id-1])
	}
	return out, nil
}

func (s *memStore) HasApproved(_ context.Context, host string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.mentions {
		if u := linkurl.Parse(m.Source); u != nil && m.State == mention.Approved && linkurl.Host(u) == strings.ToLower(host) {
			return true, nil
		}
	}
	return false, nil
}

func (s *memStore) Block(_ context.Context, host string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.Contains(s.blocked, host) {
		s.blocked = append(s.blocked, host)
	}
	for i, m := range s.mentions {
		if u := linkurl.Parse(m.Source); u != nil && m.State == mention.Pending && linkurl.Host(u) == host {
			s.mentions[i].State, s.mentions[i].Reason = mention.Spam, "host blocked"
		}
	}
	return nil
}

func (s *memStore) Blocked(context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.blocked), nil
}

func (s *memStore) Close() error { return nil }
