package linkback

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// formServer answers every request with h after recording the POST.
func formServer(t *testing.T, h func(w http.ResponseWriter, r *http.Request)) (*httptest.Server, chan receivedPost) {
	t.Helper()
	posts := make(chan receivedPost, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			_ = r.ParseForm()
			posts <- receivedPost{uri: r.URL.RequestURI(), contentType: r.Header.Get("Content-Type"), form: r.PostForm}
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, posts
}

func TestWebmentionSend(t *testing.T) {
	const source, target = "https://me.example/post/", "https://them.example/article"
	tests := []struct {
		name         string
		path         string // endpoint path and query on the test server
		handler      func(w http.ResponseWriter, r *http.Request)
		wantStatus   int
		wantLocation string // "{srv}" is the server's URL
		wantAnswer   string
		wantClass    Class
	}{
		{
			// 201 Created with a status URL, relative: recorded absolute.
			name: "201 with Location",
			path: "/webmention",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Location", "/status/42")
				w.WriteHeader(http.StatusCreated)
			},
			wantStatus:   201,
			wantLocation: "{srv}/status/42",
			wantClass:    ClassDone,
		},
		{
			// 202 Accepted: queued for asynchronous verification; the
			// receiver's words are kept.
			name: "202 queued",
			path: "/webmention",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusAccepted)
				_, _ = io.WriteString(w, "  Webmention is\n queued.\n")
			},
			wantStatus: 202,
			wantAnswer: "Webmention is queued.",
			wantClass:  ClassDone,
		},
		{
			// 200 is a 2xx like any other.
			name:       "200 synchronous",
			path:       "/webmention",
			handler:    func(w http.ResponseWriter, r *http.Request) {},
			wantStatus: 200,
			wantClass:  ClassDone,
		},
		{
			// The endpoint's query string stays in the URL (webmention.rocks
			// test 21); only source and target are in the body.
			name: "query string kept",
			path: "/wm?token=s3cret&x=1",
			handler: func(w http.ResponseWriter, r *http.Request) {
				if r.URL.RawQuery != "token=s3cret&x=1" {
					http.Error(w, "query lost", http.StatusBadRequest)
					return
				}
				w.WriteHeader(http.StatusAccepted)
			},
			wantStatus: 202,
			wantClass:  ClassDone,
		},
		{
			// 400: the receiver refuses (no link, target not ours):
			// permanent, and its reason is recorded.
			name: "400 refused",
			path: "/webmention",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "Source does not link to target", http.StatusBadRequest)
			},
			wantStatus: 400,
			wantAnswer: "Source does not link to target",
			wantClass:  ClassPermanent,
		},
		{
			// 500: the receiver broke; try again on a later run.
			name: "500 retry",
			path: "/webmention",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "oops", http.StatusInternalServerError)
			},
			wantStatus: 500,
			wantAnswer: "oops",
			wantClass:  ClassRetry,
		},
		{
			// 429: slow down; the host is backed off.
			name: "429 backoff",
			path: "/webmention",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "120")
				w.WriteHeader(http.StatusTooManyRequests)
			},
			wantStatus: 429,
			wantClass:  ClassBackoff,
		},
		{
			// A 302 would turn the POST into a GET whose 200 is a page, not
			// an acceptance: not followed, not a success.
			name: "302 not followed",
			path: "/old",
			handler: func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/old" {
					http.Redirect(w, r, "/new", http.StatusFound)
					return
				}
				_, _ = io.WriteString(w, "<html>a page</html>")
			},
			wantStatus: 302,
			wantClass:  ClassRetryFew,
		},
		{
			// 307 keeps method and body: followed, and the new URL gets the
			// form.
			name: "307 followed",
			path: "/old",
			handler: func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/old" {
					http.Redirect(w, r, "/new", http.StatusTemporaryRedirect)
					return
				}
				if r.PostFormValue("target") != target {
					http.Error(w, "lost body", http.StatusBadRequest)
					return
				}
				w.WriteHeader(http.StatusAccepted)
			},
			wantStatus: 202,
			wantClass:  ClassDone,
		},
	}
	client := NewClient(ClientOptions{AllowPrivate: true})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, posts := formServer(t, tt.handler)
			res, err := client.Webmention(t.Context(), srv.URL+tt.path, source, target)
			if got := Classify(err); got != tt.wantClass {
				t.Errorf("Classify(%v) = %s, want %s", err, got, tt.wantClass)
			}
			if res == nil {
				t.Fatalf("no Result (err %v)", err)
			}
			if res.Status != tt.wantStatus || res.Protocol != ProtoWebmention || res.Endpoint != srv.URL+tt.path {
				t.Errorf("Result = %+v, want status %d, protocol webmention, endpoint %s", res, tt.wantStatus, srv.URL+tt.path)
			}
			if want := strings.ReplaceAll(tt.wantLocation, "{srv}", srv.URL); res.Location != want {
				t.Errorf("Location = %q, want %q", res.Location, want)
			}
			if res.Answer != tt.wantAnswer {
				t.Errorf("Answer = %q, want %q", res.Answer, tt.wantAnswer)
			}
			if tt.wantStatus >= 300 {
				var he *HTTPError
				if !errors.As(err, &he) || he.StatusCode != tt.wantStatus {
					t.Errorf("err = %v, want *HTTPError %d", err, tt.wantStatus)
				}
			}
			p := <-posts
			if p.contentType != "application/x-www-form-urlencoded; charset=utf-8" {
				t.Errorf("Content-Type = %q", p.contentType)
			}
			if p.form.Get("source") != source || p.form.Get("target") != target || len(p.form) != 2 {
				t.Errorf("form = %v, want exactly source and target", p.form)
			}
		})
	}
}

func TestWebmentionSendRetryAfter(t *testing.T) {
	// Retry-After is kept for the sender's backoff.
	srv, _ := formServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	_, err := NewClient(ClientOptions{AllowPrivate: true}).Webmention(t.Context(), srv.URL, "https://a.example/", "https://b.example/")
	if got := RetryAfter(err); got != 2*time.Minute {
		t.Errorf("RetryAfter = %s, want 2m", got)
	}
}

func TestWebmentionSendHugeAnswer(t *testing.T) {
	// A receiver that answers megabytes is read only up to the cap and
	// recorded as a short excerpt.
	srv, _ := formServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, strings.Repeat("é", 1<<20))
	})
	res, err := NewClient(ClientOptions{AllowPrivate: true}).Webmention(t.Context(), srv.URL, "https://a.example/", "https://b.example/")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Answer) > maxAnswerExcerpt+len("…") || !strings.HasSuffix(res.Answer, "…") {
		t.Errorf("Answer has %d bytes, want a cut excerpt", len(res.Answer))
	}
}

func TestWebmentionSendTimeout(t *testing.T) {
	// A receiver that never answers costs one Timeout, then is retried on
	// a later run.
	release := make(chan struct{})
	srv, _ := formServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	c := NewClient(ClientOptions{AllowPrivate: true, Timeout: 100 * time.Millisecond})
	res, err := c.Webmention(t.Context(), srv.URL, "https://a.example/", "https://b.example/")
	var te *TimeoutError
	if res != nil || !errors.As(err, &te) || Classify(err) != ClassRetry {
		t.Errorf("got %+v, %v; want no Result and a *TimeoutError classified retry", res, err)
	}
}

func TestWebmentionSendRefusesBadEndpoint(t *testing.T) {
	// A discovered endpoint is someone else's choice: the URL rules and
	// the private-address guard apply before anything is sent.
	c := NewClient(ClientOptions{})
	for _, ep := range []string{
		"ftp://files.example/wm",         // not http
		"http://user:pw@host.example/wm", // credentials in URL
		"http://127.0.0.1:1/wm",          // loopback, guard on
	} {
		if _, err := c.Webmention(t.Context(), ep, "https://a.example/", "https://b.example/"); Classify(err) != ClassPermanent {
			t.Errorf("Webmention(%s) = %v (%s), want a permanent refusal", ep, err, Classify(err))
		}
	}
}
