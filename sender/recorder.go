package sender

import (
	"sync"
	"time"

	"github.com/hugo-pingback/hugo-pingback/state"
)

// recorder writes outcomes to the ledger in group commits: whatever the
// workers handed in while the previous transaction ran goes into the next
// one. A caller that must know its record is durable (the in-flight mark
// before a send) waits for that commit; settled outcomes do not wait.
type recorder struct {
	ledger ledger
	in     chan record
	wg     sync.WaitGroup
	once   sync.Once

	mu  sync.Mutex
	err error
}

type record struct {
	n    *state.Notification
	d    *state.Discovery
	done chan error
}

// flushEvery bounds how long a settled outcome waits in memory.
const flushEvery = 200 * time.Millisecond

func newRecorder(l ledger) *recorder {
	r := &recorder{ledger: l, in: make(chan record, 256)}
	r.wg.Add(1)
	go r.loop()
	return r
}

func (r *recorder) put(n state.Notification, wait bool) error {
	rec := record{n: &n}
	if wait {
		rec.done = make(chan error, 1)
	}
	r.in <- rec
	if wait {
		return <-rec.done
	}
	return nil
}

// putAll records ns and waits until they are durable, in one commit
// (shared with whatever else is queued).
func (r *recorder) putAll(ns []state.Notification) error {
	done := make(chan error, 1)
	for i := range ns {
		rec := record{n: &ns[i]}
		if i == len(ns)-1 {
			rec.done = done
		}
		r.in <- rec
	}
	return <-done
}

func (r *recorder) putDiscovery(d state.Discovery) {
	r.in <- record{d: &d}
}

func (r *recorder) loop() {
	defer r.wg.Done()
	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	var (
		b       state.Batch
		waiters []chan error
	)
	commit := func() {
		if b.Len() == 0 {
			return
		}
		err := r.ledger.Commit(&b)
		if err != nil {
			r.mu.Lock()
			if r.err == nil {
				r.err = err
			}
			r.mu.Unlock()
		}
		for _, w := range waiters {
			w <- err
		}
		b, waiters = state.Batch{}, nil
	}
	add := func(rec record) {
		if rec.n != nil {
			b.Notifications = append(b.Notifications, *rec.n)
		}
		if rec.d != nil {
			b.Discoveries = append(b.Discoveries, *rec.d)
		}
		if rec.done != nil {
			waiters = append(waiters, rec.done)
		}
	}
	for {
		select {
		case rec, ok := <-r.in:
			if !ok {
				commit()
				return
			}
			add(rec)
			// Take all that is already queued, then commit at once if
			// anyone is waiting: that is the group commit.
		drain:
			for {
				select {
				case more, ok := <-r.in:
					if !ok {
						commit()
						return
					}
					add(more)
				default:
					break drain
				}
			}
			if len(waiters) > 0 || b.Len() >= 500 {
				commit()
			}
		case <-tick.C:
			commit()
		}
	}
}

// close flushes what is queued and returns the first write error.
func (r *recorder) close() error {
	r.once.Do(func() {
		close(r.in)
		r.wg.Wait()
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}
