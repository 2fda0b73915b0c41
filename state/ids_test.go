package state

import "testing"

// Two URLs whose hashes agree in the 36 bits urlids keys and sorts by:
// the URL itself decides, whether they are interned in one batch or in
// two, and committing them again makes no third id.
func TestURLIndexCollision(t *testing.T) {
	const a, b = "https://example.com/p/374737", "https://example.com/p/686313"
	ka, ba := urlIndex(a)
	kb, bb := urlIndex(b)
	if ka != kb || ba != bb {
		t.Fatal("the two URLs no longer collide: pick another pair")
	}
	for _, apart := range []bool{false, true} {
		l, _ := openTest(t)
		page := Page{URL: "https://site.example/a/", Links: []string{a, b}}
		na := Notification{Source: page.URL, Target: a, Status: StatusPending}
		nb := Notification{Source: page.URL, Target: b, Status: StatusNotified}
		batches := []*Batch{{Pages: []Page{page, {URL: b}}, Notifications: []Notification{na, nb}}}
		if apart {
			batches = []*Batch{
				{Pages: []Page{{URL: page.URL, Links: []string{a}}}, Notifications: []Notification{na}},
				{Pages: []Page{page}, Notifications: []Notification{nb}},
			}
		}
		for _, batch := range batches {
			if err := l.Commit(batch); err != nil {
				t.Fatal(err)
			}
		}
		ns, err := l.NotificationsFor(page.URL)
		if err != nil || len(ns) != 2 || ns[0].Target != a || ns[0].Status != StatusPending || ns[1].Target != b || ns[1].Status != StatusNotified {
			t.Fatalf("apart %v: %+v, %v", apart, ns, err)
		}
		if err := l.Commit(&Batch{Notifications: []Notification{na, nb}}); err != nil {
			t.Fatal(err)
		}
		if err := l.Check(); err != nil {
			t.Fatalf("apart %v: %v", apart, err)
		}
	}
}
