// Package mentiontest serves the admin API contract of a receiver over a
// real mention store, for tests of the clients that talk to it. It is test
// support: nothing outside tests imports it.
package mentiontest

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/hugo-pingback/hugo-pingback/mention"
)

// AdminAPI serves the admin API contract of `hugo-pingback serve` over a
// real store, for tests of its clients (mention.Remote, the mentions
// command): bearer auth (401 otherwise), JSON errors {"error": "..."},
// GET /api/mentions with state, target, source, since and limit, POST
// /api/mentions/moderate (404 for an unknown id, 400 for a bad state), POST
// and GET /api/blocks.
type AdminAPI struct {
	Store mention.Store
	Token string
	// MaxLimit, when set, caps ?limit= as a server may, so clients must
	// page with since.
	MaxLimit int

	mu       sync.Mutex
	requests []*http.Request
}

func (a *AdminAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.requests = append(a.requests, r)
	a.mu.Unlock()
	fail := func(code int, msg string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(map[string]string{"error": msg})
	}
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "Bearer ") || subtle.ConstantTimeCompare([]byte(auth[7:]), []byte(a.Token)) != 1 {
		fail(http.StatusUnauthorized, "missing or wrong admin token")
		return
	}
	reply := func(v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	ctx := r.Context()
	switch r.Method + " " + r.URL.Path {
	case "GET /api/mentions":
		q := r.URL.Query()
		f := mention.Filter{Target: q.Get("target"), Source: q.Get("source")}
		for _, s := range q["state"] {
			st, err := mention.ParseState(s)
			if err != nil {
				fail(http.StatusBadRequest, err.Error())
				return
			}
			f.States = append(f.States, st)
		}
		since, _ := strconv.ParseInt(q.Get("since"), 10, 64)
		f.Since = mention.ID(since)
		f.Limit, _ = strconv.Atoi(q.Get("limit"))
		if a.MaxLimit > 0 && (f.Limit == 0 || f.Limit > a.MaxLimit) {
			f.Limit = a.MaxLimit
		}
		ms, err := a.Store.Mentions(ctx, f)
		if err != nil {
			fail(http.StatusBadRequest, err.Error())
			return
		}
		if ms == nil {
			ms = []mention.Mention{}
		}
		reply(ms)
	case "POST /api/mentions/moderate":
		var in struct {
			IDs    []mention.ID  `json:"ids"`
			State  mention.State `json:"state"`
			Reason string        `json:"reason"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			fail(http.StatusBadRequest, err.Error())
			return
		}
		ms, err := a.Store.Moderate(ctx, in.IDs, in.State, in.Reason)
		switch {
		case errors.Is(err, mention.ErrNotFound):
			fail(http.StatusNotFound, err.Error())
		case errors.Is(err, mention.ErrInvalid):
			fail(http.StatusBadRequest, err.Error())
		case err != nil:
			fail(http.StatusInternalServerError, err.Error())
		default:
			reply(ms)
		}
	case "POST /api/blocks":
		var in struct {
			Host string `json:"host"`
		}
		json.NewDecoder(r.Body).Decode(&in)
		if err := a.Store.Block(ctx, in.Host); err != nil {
			fail(http.StatusBadRequest, err.Error())
			return
		}
		reply(map[string]string{"host": mention.NormaliseHost(in.Host)})
	case "GET /api/blocks":
		hosts, _ := a.Store.Blocked(ctx)
		if hosts == nil {
			hosts = []string{}
		}
		reply(hosts)
	default:
		fail(http.StatusNotFound, "no such endpoint")
	}
}

// Requests returns the requests served so far.
func (a *AdminAPI) Requests() []*http.Request {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]*http.Request(nil), a.requests...)
}
