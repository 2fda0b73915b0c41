package receiver

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hugo-pingback/hugo-pingback/mention"
)

// queue holds the Webmention requests waiting for a worker, ordered by when
// they are due (now, or NextAttempt after a passing failure). Every request
// in it is already committed to the store, so the queue is only a schedule:
// losing it loses nothing, Run rebuilds it from Store.Queued.
//
// Its bound counts every request from the moment a slot is reserved (before
// the store commit) until its verification is settled for good, waiting
// retries included, so the store never holds more queued work than the bound.
type queue struct {
	limit int
	depth prometheus.Gauge

	mu       sync.Mutex
	items    dueHeap
	ids      map[string]struct{} // requests held: waiting or being verified
	reserved int
	wake     chan struct{}
}

func newQueue(limit int, depth prometheus.Gauge) *queue {
	return &queue{limit: limit, depth: depth, wake: make(chan struct{}, 1), ids: map[string]struct{}{}}
}

// reserve takes a slot for a request about to be committed; false when the
// queue is full.
func (q *queue) reserve() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.reserved >= q.limit {
		return false
	}
	q.reserved++
	q.depth.Set(float64(q.reserved))
	return true
}

// release gives back a slot reserved for a request that was never
// committed, or never added (see add).
func (q *queue) release() {
	q.mu.Lock()
	q.reserved--
	q.depth.Set(float64(q.reserved))
	q.mu.Unlock()
}

// pending returns how many requests hold a slot.
func (q *queue) pending() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.reserved
}

// add schedules a committed request, once: a request already held (the
// handler that committed it and the start-up reload of the store can both
// see a request that arrived while the server started) is not added again,
// and add reports false. With reserve it takes a slot too, beyond the limit
// if need be (requests reloaded from the store at start were all accepted
// once and are never refused now).
func (q *queue) add(r mention.Request, reserve bool) bool {
	q.mu.Lock()
	if _, dup := q.ids[r.ID]; dup {
		q.mu.Unlock()
		return false
	}
	q.ids[r.ID] = struct{}{}
	if reserve {
		q.reserved++
		q.depth.Set(float64(q.reserved))
	}
	heap.Push(&q.items, r)
	q.mu.Unlock()
	q.signal()
	return true
}

// retry schedules again a request that is held (it failed for a passing
// reason): it keeps its slot.
func (q *queue) retry(r mention.Request) {
	q.mu.Lock()
	heap.Push(&q.items, r)
	q.mu.Unlock()
	q.signal()
}

// done lets go of a request settled for good (or left to the next start)
// and of its slot.
func (q *queue) done(id string) {
	q.mu.Lock()
	delete(q.ids, id)
	q.mu.Unlock()
	q.release()
}

func (q *queue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// next blocks until a request is due, and returns it; false when ctx ended.
func (q *queue) next(ctx context.Context, now func() time.Time) (mention.Request, bool) {
	for {
		q.mu.Lock()
		var wait time.Duration = -1
		if len(q.items) > 0 {
			top := q.items[0]
			if d := top.NextAttempt.Sub(now()); d > 0 {
				wait = d
			} else {
				r := heap.Pop(&q.items).(mention.Request)
				more := len(q.items) > 0
				q.mu.Unlock()
				if more {
					q.signal() // another idle worker may take the next one
				}
				return r, true
			}
		}
		q.mu.Unlock()
		var t *time.Timer
		var timer <-chan time.Time
		if wait >= 0 {
			t = time.NewTimer(wait)
			timer = t.C
		}
		select {
		case <-ctx.Done():
			return mention.Request{}, false
		case <-q.wake:
		case <-timer:
		}
		if t != nil {
			t.Stop()
		}
	}
}

// dueHeap orders requests by NextAttempt (zero first), then by arrival.
type dueHeap []mention.Request

func (h dueHeap) Len() int { return len(h) }
func (h dueHeap) Less(i, j int) bool {
	if !h[i].NextAttempt.Equal(h[j].NextAttempt) {
		return h[i].NextAttempt.Before(h[j].NextAttempt)
	}
	return h[i].Received.Before(h[j].Received)
}
func (h dueHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)   { *h = append(*h, x.(mention.Request)) }
func (h *dueHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	*h = old[:len(old)-1]
	return r
}
