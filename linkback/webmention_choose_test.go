package linkback

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestWebmentionPreferredOverPingback checks the protocol choice of issue 5
// end to end on one fetch: a target offering both gets only the
// Webmention, a pingback-only target gets a pingback, and trackback is
// chosen only when asked for.
func TestWebmentionPreferredOverPingback(t *testing.T) {
	mux := http.NewServeMux()
	// WordPress with the Webmention plugin: both protocols, in headers.
	mux.HandleFunc("/both", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Pingback", "http://"+r.Host+"/xmlrpc.php")
		w.Header().Set("Link", `<http://`+r.Host+`/wp-json/webmention/1.0/endpoint>; rel="webmention"`)
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, `<html><head><link rel="pingback" href="/xmlrpc.php"></head></html>`)
	})
	// Plain WordPress: pingback only.
	mux.HandleFunc("/pingback-only", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Pingback", "http://"+r.Host+"/xmlrpc.php")
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, `<html><head><title>p</title></head></html>`)
	})
	// An old Movable Type blog: trackback only.
	mux.HandleFunc("/mt", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, `<html><body><!-- <rdf:RDF><rdf:Description dc:identifier="http://`+r.Host+
			`/mt" trackback:ping="http://`+r.Host+`/mt-tb.cgi/1"/></rdf:RDF> --></body></html>`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	client := NewClient(ClientOptions{AllowPrivate: true})

	tests := []struct {
		name      string
		path      string
		protocols []string
		wantProto string
		wantEP    string
	}{
		// Default order: both advertised, the Webmention wins.
		{"both, default order", "/both", []string{ProtoWebmention, ProtoPingback}, ProtoWebmention, "/wp-json/webmention/1.0/endpoint"},
		// The order is the user's: pingback first is honoured.
		{"both, pingback first", "/both", []string{ProtoPingback, ProtoWebmention}, ProtoPingback, "/xmlrpc.php"},
		// Pingback only: a pingback.
		{"pingback only", "/pingback-only", []string{ProtoWebmention, ProtoPingback}, ProtoPingback, "/xmlrpc.php"},
		// Trackback is opt-in: without it in the list, nothing.
		{"trackback not asked", "/mt", []string{ProtoWebmention, ProtoPingback}, "", ""},
		// With it, the RDF ping URL.
		{"trackback asked", "/mt", []string{ProtoWebmention, ProtoPingback, ProtoTrackback}, ProtoTrackback, "/mt-tb.cgi/1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep, err := client.Discover(t.Context(), srv.URL+tt.path, tt.protocols)
			if err != nil {
				t.Fatal(err)
			}
			proto, endpoint, err := ep.Choose(tt.protocols)
			if tt.wantProto == "" {
				if err == nil {
					t.Errorf("Choose = %s %s, want no endpoint", proto, endpoint)
				}
				return
			}
			if err != nil || proto != tt.wantProto || endpoint != srv.URL+tt.wantEP {
				t.Errorf("Choose = %s %s %v, want %s %s", proto, endpoint, err, tt.wantProto, srv.URL+tt.wantEP)
			}
		})
	}
}

func TestResendsUpdates(t *testing.T) {
	for proto, want := range map[string]bool{
		ProtoWebmention: true,  // updates and deletes are re-sent
		ProtoPingback:   false, // a second ping is a duplicate (fault 48)
		ProtoTrackback:  false, // a second trackback is a duplicate comment
		"":              false, // never notified
	} {
		if got := ResendsUpdates(proto); got != want {
			t.Errorf("ResendsUpdates(%q) = %v, want %v", proto, got, want)
		}
	}
}
