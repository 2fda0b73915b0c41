package sender

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// scheduler runs the delivery's requests politely and without idling a
// worker: one request in flight per host, requests to one host at least
// interval apart (notifications and discovery alike), a host that asked
// for a pause (429) left alone until it ends. Each host has a queue of
// tasks and the time it may next be contacted; the hosts that have tasks
// and no request in flight wait in a heap ordered by that time. A worker
// takes the earliest host whose time has come, runs one task, and gives
// the host back with its next time: no worker ever sleeps holding a host,
// so while any host is ready, every worker is busy.
type scheduler struct {
	interval time.Duration
	mu       sync.Mutex
	hosts    map[string]*hostQueue
	ready    hostHeap
	pending  int           // tasks queued or running
	changed  chan struct{} // closed and replaced whenever the heap changes
}

// task is one step of a notification's delivery against one host.
type task struct {
	host string
	// run performs the step; what it reports decides what follows.
	run func(ctx context.Context) taskResult
	// abandon is called for a task still queued when the run ends.
	abandon func() error
	// send is the job of a notification step, nil for other steps.
	send *delivJob
}

// taskResult is what running a task did.
type taskResult struct {
	requested bool      // a request was made to the host
	spaced    bool      // ... one the interval applies to
	hold      time.Time // leave the host alone until then (a 429's pause)
	again     bool      // run this task again, first of its host's queue
	next      []*task   // the steps that follow, on their own hosts
	err       error     // the run cannot go on (the ledger failed)
}

type hostQueue struct {
	name  string
	tasks []*task
	next  time.Time // earliest start of the next request
	busy  bool      // a task of this host is running
	index int       // in the heap; -1 when not in it
}

func newScheduler(interval time.Duration) *scheduler {
	return &scheduler{interval: interval, hosts: map[string]*hostQueue{}, changed: make(chan struct{})}
}

// add queues tasks at the end of their hosts' queues.
func (s *scheduler) add(tasks ...*task) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range tasks {
		s.queue(t, false)
	}
	s.notify()
}

// queue puts t in its host's queue (first when front); s.mu is held.
func (s *scheduler) queue(t *task, front bool) {
	h := s.hosts[t.host]
	if h == nil {
		h = &hostQueue{name: t.host, index: -1}
		s.hosts[t.host] = h
	}
	if front {
		h.tasks = append([]*task{t}, h.tasks...)
	} else {
		h.tasks = append(h.tasks, t)
	}
	s.pending++
	s.push(h)
}

// push puts h in the heap when it has tasks and is not busy; s.mu is held.
func (s *scheduler) push(h *hostQueue) {
	if h.busy || len(h.tasks) == 0 || h.index >= 0 {
		return
	}
	heap.Push(&s.ready, h)
}

// notify wakes the workers waiting for a change; s.mu is held.
func (s *scheduler) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// take waits for the earliest host whose time has come and returns its
// first task, marking the host busy; nil when all work is done or ctx ends.
func (s *scheduler) take(ctx context.Context) (*hostQueue, *task) {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		s.mu.Lock()
		if ctx.Err() != nil || s.pending == 0 {
			s.mu.Unlock()
			return nil, nil
		}
		var wait time.Duration = -1
		if len(s.ready) > 0 {
			h := s.ready[0]
			if wait = time.Until(h.next); wait <= 0 {
				heap.Pop(&s.ready)
				h.busy = true
				t := h.tasks[0]
				h.tasks = h.tasks[1:]
				s.mu.Unlock()
				return h, t
			}
		}
		changed := s.changed
		s.mu.Unlock()
		var tick <-chan time.Time
		if wait > 0 {
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			tick = timer.C
		}
		select {
		case <-changed:
		case <-tick:
		case <-ctx.Done():
		}
	}
}

// done gives a host back after one of its tasks ran, with its next time,
// and queues what follows.
func (s *scheduler) done(h *hostQueue, t *task, r taskResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if r.requested && r.spaced && s.interval > 0 {
		h.next = now.Add(s.interval)
	}
	if r.hold.After(h.next) {
		h.next = r.hold
	}
	h.busy = false
	s.pending--
	if r.again {
		s.queue(t, true)
	}
	for _, n := range r.next {
		s.queue(n, false)
	}
	s.push(h)
	s.notify()
}

// queued returns up to n tasks waiting in host's queue that want says
// yes to, from the front; for a running task of that host, whose queue no
// other worker takes from meanwhile.
func (s *scheduler) queued(host string, n int, want func(*task) bool) []*task {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*task
	for _, t := range s.hosts[host].tasks {
		if len(out) == n || !want(t) {
			break
		}
		out = append(out, t)
	}
	return out
}

// run runs every task with workers workers until all are done or ctx ends,
// then abandons what is left. It returns the first error a task reported
// (which stops the others) or that an abandon returned.
func (s *scheduler) run(ctx context.Context, workers int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		errMu sync.Mutex
		first error
	)
	fail := func(err error) {
		errMu.Lock()
		if first == nil {
			first = err
		}
		errMu.Unlock()
		cancel()
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				h, t := s.take(ctx)
				if t == nil {
					return
				}
				r := t.run(ctx)
				if r.err != nil {
					fail(r.err)
				}
				s.done(h, t, r)
			}
		}()
	}
	wg.Wait()
	// What the run's end left: never started, or marked and never sent.
	s.mu.Lock()
	var left []*task
	for _, h := range s.hosts {
		left = append(left, h.tasks...)
		h.tasks = nil
	}
	s.mu.Unlock()
	for _, t := range left {
		if err := t.abandon(); err != nil {
			fail(err)
		}
	}
	return first
}

// hostHeap orders hosts by the time they may next be contacted.
type hostHeap []*hostQueue

func (q hostHeap) Len() int           { return len(q) }
func (q hostHeap) Less(i, j int) bool { return q[i].next.Before(q[j].next) }
func (q hostHeap) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *hostHeap) Push(x any) {
	h := x.(*hostQueue)
	h.index = len(*q)
	*q = append(*q, h)
}
func (q *hostHeap) Pop() any {
	old := *q
	h := old[len(old)-1]
	old[len(old)-1] = nil
	h.index = -1
	*q = old[:len(old)-1]
	return h
}
