package sender

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// While one host must wait for its interval, the workers serve the other
// hosts: with an hour between requests to a host, 2 workers still run the
// first task of each of 8 hosts at once, where a worker per host would sit
// on its host's second task. What the run's end leaves is abandoned.
func TestSchedulerServesReadyHosts(t *testing.T) {
	s := newScheduler(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ran := make(chan string, 16)
	var mu sync.Mutex
	abandoned := map[string]int{}
	for h := range 8 {
		host := fmt.Sprintf("h%d.example", h)
		for i := range 2 {
			name := fmt.Sprintf("%s/%d", host, i)
			s.add(&task{
				host: host,
				run: func(context.Context) taskResult {
					ran <- name
					return taskResult{requested: true, spaced: true}
				},
				abandon: func() error {
					mu.Lock()
					abandoned[host]++
					mu.Unlock()
					return nil
				},
			})
		}
	}
	done := make(chan error, 1)
	go func() { done <- s.run(ctx, 2) }()
	seen := map[string]bool{}
	deadline := time.After(30 * time.Second) // a liveness bound, not a timing
	for len(seen) < 8 {
		select {
		case name := <-ran:
			if name[len(name)-1] != '0' {
				t.Fatalf("%s ran within its host's interval", name)
			}
			seen[name] = true
		case <-deadline:
			t.Fatalf("only %d hosts were served: %v", len(seen), seen)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for h := range 8 {
		if n := abandoned[fmt.Sprintf("h%d.example", h)]; n != 1 {
			t.Errorf("host %d: %d tasks abandoned, want its second one", h, n)
		}
	}
}

// A task's follow-up goes to its own host's queue, a task run again goes
// first in its host's queue, and an error stops the run.
func TestSchedulerFollowUpsAndErrors(t *testing.T) {
	s := newScheduler(0)
	var mu sync.Mutex
	var order []string
	log := func(s string) {
		mu.Lock()
		order = append(order, s)
		mu.Unlock()
	}
	tries := 0
	second := &task{host: "b.example", run: func(context.Context) taskResult {
		tries++
		log(fmt.Sprintf("b try %d", tries))
		return taskResult{again: tries < 2}
	}, abandon: func() error { return nil }}
	s.add(&task{host: "a.example", run: func(context.Context) taskResult {
		log("a")
		return taskResult{next: []*task{second}}
	}, abandon: func() error { return nil }})
	if err := s.run(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if want := "[a b try 1 b try 2]"; fmt.Sprint(order) != want {
		t.Errorf("ran %v, want %s", order, want)
	}

	boom := fmt.Errorf("ledger failed")
	s = newScheduler(0)
	s.add(&task{host: "a.example", run: func(context.Context) taskResult { return taskResult{err: boom} }, abandon: func() error { return nil }})
	if err := s.run(context.Background(), 4); err != boom {
		t.Errorf("run = %v, want the task's error", err)
	}
}
