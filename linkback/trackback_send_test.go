package linkback

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

func TestTrackbackSend(t *testing.T) {
	ping := TrackbackPing{
		URL:      "https://me.example/post/",
		Title:    "My post",
		Excerpt:  "The first words of my post, cut on a word…",
		BlogName: "My Blog",
	}
	tests := []struct {
		name       string
		status     int
		answer     string // file under testdata/trackback/answers
		wantErr    string // "", "trackback", "protocol", "http"
		wantAnswer string
		wantClass  Class // ignored for *TrackbackError: classify.go decides those
		duplicate  bool
	}{
		{
			// <error>0</error>: accepted.
			name:      "success",
			status:    200,
			answer:    "success.xml",
			wantClass: ClassDone,
		},
		{
			// The answer may declare another encoding; whitespace around
			// the code is tolerated.
			name:       "latin-1 success",
			status:     200,
			answer:     "latin1.xml",
			wantAnswer: "Merci, reçu",
			wantClass:  ClassDone,
		},
		{
			// <error>1</error> with a message: refused, message kept.
			name:       "closed",
			status:     200,
			answer:     "closed.xml",
			wantErr:    "trackback",
			wantAnswer: "Sorry, trackbacks are closed for this item.",
		},
		{
			// WordPress's duplicate answer: the receiver already has it.
			name:       "duplicate",
			status:     200,
			answer:     "duplicate.xml",
			wantErr:    "trackback",
			wantAnswer: "We already have a ping from that URL for this post.",
			duplicate:  true,
		},
		{
			// A refusal sent with an error status is still a refusal with
			// words, not a bare HTTP failure.
			name:       "refusal with 403",
			status:     403,
			answer:     "closed.xml",
			wantErr:    "trackback",
			wantAnswer: "Sorry, trackbacks are closed for this item.",
		},
		{
			// An HTML page where the XML answer should be: garbage.
			name:       "html page",
			status:     200,
			answer:     "html.html",
			wantErr:    "protocol",
			wantAnswer: "<!DOCTYPE html> <html><head><title>Blog</title></head><body><p>Thanks for your comment!</p></body></html>",
			wantClass:  ClassRetryFew,
		},
		{
			// A response without <error> cannot say success.
			name:       "no error element",
			status:     200,
			answer:     "no-error.xml",
			wantErr:    "protocol",
			wantAnswer: `<?xml version="1.0"?> <response><message>no error element</message></response>`,
			wantClass:  ClassRetryFew,
		},
		{
			// <error> must be a number.
			name:       "error not a number",
			status:     200,
			answer:     "error-not-number.xml",
			wantErr:    "protocol",
			wantAnswer: `<?xml version="1.0"?> <response><error>maybe</error></response>`,
			wantClass:  ClassRetryFew,
		},
		{
			// A cut answer is not a success, even if it began like one.
			name:       "truncated",
			status:     200,
			answer:     "truncated.xml",
			wantErr:    "protocol",
			wantAnswer: `<?xml version="1.0" encoding="utf-8"?> <response> <error>1</error>`,
			wantClass:  ClassRetryFew,
		},
		{
			// A 500 with an HTML page: an HTTP failure, retried later.
			name:       "500 page",
			status:     500,
			answer:     "html.html",
			wantErr:    "http",
			wantAnswer: "<!DOCTYPE html> <html><head><title>Blog</title></head><body><p>Thanks for your comment!</p></body></html>",
			wantClass:  ClassRetry,
		},
	}
	client := NewClient(ClientOptions{AllowPrivate: true})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			answer, err := os.ReadFile(filepath.Join("testdata", "trackback", "answers", tt.answer))
			if err != nil {
				t.Fatal(err)
			}
			srv, posts := formServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/xml")
				w.WriteHeader(tt.status)
				_, _ = w.Write(answer)
			})
			endpoint := srv.URL + "/trackback/42?x=1"
			res, err := client.Trackback(t.Context(), endpoint, ping)
			if res == nil {
				t.Fatalf("no Result, err %v", err)
			}
			if res.Protocol != ProtoTrackback || res.Endpoint != endpoint || res.Status != tt.status {
				t.Errorf("Result = %+v", res)
			}
			if res.Answer != tt.wantAnswer {
				t.Errorf("Answer = %q, want %q", res.Answer, tt.wantAnswer)
			}
			var (
				te *TrackbackError
				pe *ProtocolError
				he *HTTPError
			)
			switch tt.wantErr {
			case "":
				if err != nil {
					t.Errorf("err = %v, want success", err)
				}
			case "trackback":
				if !errors.As(err, &te) || te.Message != tt.wantAnswer || te.Duplicate() != tt.duplicate {
					t.Errorf("err = %#v, want *TrackbackError %q duplicate=%v", err, tt.wantAnswer, tt.duplicate)
				}
			case "protocol":
				if !errors.As(err, &pe) || pe.URL != endpoint {
					t.Errorf("err = %#v, want *ProtocolError naming %s", err, endpoint)
				}
			case "http":
				if !errors.As(err, &he) || he.StatusCode != tt.status {
					t.Errorf("err = %#v, want *HTTPError %d", err, tt.status)
				}
			}
			if got := Classify(err); tt.wantErr != "trackback" && got != tt.wantClass {
				t.Errorf("Classify = %s, want %s", got, tt.wantClass)
			}
			p := <-posts
			if p.uri != "/trackback/42?x=1" {
				t.Errorf("POST to %s", p.uri)
			}
			if p.contentType != "application/x-www-form-urlencoded; charset=utf-8" {
				t.Errorf("Content-Type = %q", p.contentType)
			}
			want := map[string]string{"url": ping.URL, "title": ping.Title, "excerpt": ping.Excerpt, "blog_name": ping.BlogName}
			for k, v := range want {
				if p.form.Get(k) != v {
					t.Errorf("form %s = %q, want %q", k, p.form.Get(k), v)
				}
			}
			if len(p.form) != len(want) {
				t.Errorf("form has %d fields, want %d: %v", len(p.form), len(want), p.form)
			}
		})
	}
}

func TestTrackbackSendOptionalFields(t *testing.T) {
	// Only url is required; empty fields are not sent at all.
	srv, posts := formServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`<response><error>0</error></response>`))
	})
	if _, err := NewClient(ClientOptions{AllowPrivate: true}).Trackback(t.Context(), srv.URL, TrackbackPing{URL: "https://me.example/p"}); err != nil {
		t.Fatal(err)
	}
	if p := <-posts; len(p.form) != 1 || p.form.Get("url") != "https://me.example/p" {
		t.Errorf("form = %v, want only url", p.form)
	}
}

func TestTrackbackSendNeedsURL(t *testing.T) {
	// Without the source URL there is nothing to tell: no request is made.
	res, err := NewClient(ClientOptions{AllowPrivate: true}).Trackback(t.Context(), "http://127.0.0.1:1/tb", TrackbackPing{Title: "x"})
	if res != nil || err == nil {
		t.Errorf("got %v, %v; want an error before any request", res, err)
	}
}

func FuzzParseTrackbackResponse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "trackback", "answers", "*"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		code, msg, perr := parseTrackbackResponse(body)
		// Garbage says nothing else; an answer is never both.
		if perr != nil && (code != 0 || msg != "") {
			t.Fatalf("garbage with code %d message %q", code, msg)
		}
		if perr == nil && !bytes.Contains(body, []byte("error")) {
			t.Fatalf("an answer without an error element: %q", body)
		}
	})
}
