package state_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/hugo-pingback/hugo-pingback/state"
)

// ExampleLedger_Commit follows the in-flight protocol: record a page and mark
// its notifications in flight in one batch, send, then settle the outcomes in
// another batch. A run killed between the two would find the in-flight
// records with InFlight and send them again.
func ExampleLedger_Commit() {
	dir, err := os.MkdirTemp("", "ledger")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	l, err := state.Open(filepath.Join(dir, ".hugo-pingback", "ledger.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	fmt.Println("first run:", l.Created())

	const post = "https://blog.example/posts/hello/"
	targets := []string{"https://a.example/x/", "https://b.example/y/"}

	// 1. Before sending: the page and its notifications, in flight.
	plan := state.Batch{Pages: []state.Page{{
		URL: post, File: "posts/hello/index.html", Hash: "v1", Links: targets, Targets: targets,
	}}}
	for _, t := range targets {
		plan.Notifications = append(plan.Notifications, state.Notification{
			Source: post, Target: t, Status: state.StatusInFlight, Protocol: "pingback", Version: "v1",
			Sends: 1, // counted before sending: a kill cannot hide a delivery
		})
	}
	if err := l.Commit(&plan); err != nil {
		log.Fatal(err)
	}
	inflight, _ := l.InFlight()
	fmt.Println("in flight:", len(inflight))

	// 2. Send (not shown), 3. settle what the receivers answered.
	done := state.Batch{}
	for _, n := range inflight {
		if n.Target == targets[0] {
			n.Status, n.NotifiedAt, n.Answer = state.StatusNotified, time.Now(), "Pingback registered."
		} else {
			n.Status, n.Code, n.LastError = state.StatusFailed, 17, "source does not link to target"
		}
		done.Notifications = append(done.Notifications, n)
	}
	if err := l.Commit(&done); err != nil {
		log.Fatal(err)
	}

	ns, _ := l.NotificationsFor(post)
	for _, n := range ns {
		fmt.Printf("%s %s code=%d sends=%d", n.Target, n.Status, n.Code, n.Sends)
		if n.LastError != "" {
			fmt.Printf(" (%s)", n.LastError)
		}
		fmt.Println()
	}
	stats, _ := l.Stats()
	fmt.Println("notified:", stats[state.StatusNotified], "failed:", stats[state.StatusFailed], "in flight:", stats[state.StatusInFlight])
	// Output:
	// first run: true
	// in flight: 2
	// https://a.example/x/ notified code=0 sends=1
	// https://b.example/y/ failed code=17 sends=1 (source does not link to target)
	// notified: 1 failed: 1 in flight: 0
}
