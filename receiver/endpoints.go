package receiver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hugo-pingback/hugo-pingback/linkback"
	"github.com/hugo-pingback/hugo-pingback/linkurl"
	"github.com/hugo-pingback/hugo-pingback/mention"
)

// refusal is a request turned away before verification: the HTTP status
// (400 or 429), the Pingback fault and the reason in words.
type refusal struct {
	status     int
	fault      int
	reason     string
	retryAfter time.Duration
}

func (e *refusal) Error() string { return e.reason }

// admit runs the checks every protocol shares before anything is fetched
// or stored: source and target are http(s) URLs of at most
// linkurl.MaxLength bytes, not the same page, the source host is not
// denied nor over its rate, and the target is a page of a configured site
// that takes mentions (checked last: in live-target mode it may cost a
// GET, which denied and limited hosts must not spend).
func (s *Server) admit(ctx context.Context, source, target string) (src, tgt *url.URL, err error) {
	if source == "" {
		return nil, nil, &refusal{status: 400, fault: linkback.FaultSourceNotFound, reason: "source is missing"}
	}
	if target == "" {
		return nil, nil, &refusal{status: 400, fault: linkback.FaultTargetNotFound, reason: "target is missing"}
	}
	// Longer URLs are neither sent nor stored (the store's keys hold both).
	if len(source) > linkurl.MaxLength {
		return nil, nil, &refusal{status: 400, fault: linkback.FaultSourceNotFound, reason: fmt.Sprintf("source is longer than %d bytes", linkurl.MaxLength)}
	}
	if len(target) > linkurl.MaxLength {
		return nil, nil, &refusal{status: 400, fault: linkback.FaultTargetNotFound, reason: fmt.Sprintf("target is longer than %d bytes", linkurl.MaxLength)}
	}
	if src = linkurl.Parse(source); src == nil || src.User != nil {
		return nil, nil, &refusal{status: 400, fault: linkback.FaultSourceNotFound, reason: "source is not an http(s) URL"}
	}
	if tgt = linkurl.Parse(target); tgt == nil {
		return nil, nil, &refusal{status: 400, fault: linkback.FaultTargetNotFound, reason: "target is not an http(s) URL"}
	}
	if linkurl.Key(src) == linkurl.Key(tgt) {
		return nil, nil, &refusal{status: 400, fault: 0, reason: "source and target are the same page"}
	}
	host := linkurl.Host(src)
	if s.opts.Policy.Denied(host) != nil || s.blocked.has(ctx, host, s.now()) {
		return nil, nil, &refusal{status: 400, fault: linkback.FaultAccessDenied, reason: "mentions from " + host + " are not accepted here"}
	}
	if ok, wait := s.perHost.allow(host, time.Now()); !ok {
		return nil, nil, &refusal{status: 429, fault: 429, reason: "too many requests naming " + host + "; try again later", retryAfter: wait}
	}
	if !s.ownSite(tgt) {
		return nil, nil, &refusal{status: 400, fault: linkback.FaultTargetNotFound, reason: "target is not on a site this receiver takes mentions for"}
	}
	if err := s.targets.Check(ctx, tgt); err != nil {
		switch {
		case errors.Is(err, ErrClosedTarget):
			return nil, nil, &refusal{status: 400, fault: linkback.FaultTargetNotUsable, reason: "target does not take mentions"}
		case errors.Is(err, ErrTargetBusy):
			return nil, nil, &refusal{status: 429, fault: linkback.FaultUpstream, reason: "too many requests for unknown pages; try again later", retryAfter: time.Minute}
		case errors.Is(err, ErrUnknownTarget):
			return nil, nil, &refusal{status: 400, fault: linkback.FaultTargetNotFound, reason: "target is not a page of this site"}
		default:
			s.log.Error("cannot check a target", "target", target, "err", err)
			return nil, nil, &refusal{status: 503, fault: linkback.FaultInternal, reason: "the target could not be checked; try again later", retryAfter: time.Minute}
		}
	}
	return src, tgt, nil
}

// limitIP applies the per-client bucket; false means the answer was 429.
func (s *Server) limitIP(r *http.Request) (string, *refusal) {
	ip := clientIP(r, s.opts.TrustProxy)
	if ok, wait := s.perIP.allow(ip, time.Now()); !ok {
		return ip, &refusal{status: 429, fault: 429, reason: "too many requests from your address; try again later", retryAfter: wait}
	}
	return ip, nil
}

// readBody reads a request body up to the cap; over it is a refusal.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *refusal) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.lim.Body))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, &refusal{status: http.StatusRequestEntityTooLarge, fault: linkback.FaultInvalid,
			reason: fmt.Sprintf("request body over %d KiB", s.lim.Body>>10)}
	}
	if err != nil {
		return nil, &refusal{status: 400, fault: linkback.FaultParse, reason: "cannot read the request body"}
	}
	return body, nil
}

// ---- Pingback

var xmlrpcMethods = []string{"pingback.ping", "system.listMethods"}

func (s *Server) serveXMLRPC(w http.ResponseWriter, r *http.Request) {
	ip, ref := s.limitIP(r)
	if ref != nil {
		s.fault(w, ref)
		return
	}
	body, ref := s.readBody(w, r)
	if ref != nil {
		ref.status = 200 // XML-RPC faults travel in 200 answers
		s.fault(w, ref)
		return
	}
	call, err := linkback.ParseMethodCall(body)
	if err != nil {
		var fe *linkback.FaultError
		errors.As(err, &fe)
		s.fault(w, &refusal{status: 200, fault: fe.Code, reason: fe.Message})
		return
	}
	switch call.Method {
	case "system.listMethods":
		writeXML(w, http.StatusOK, linkback.EncodeStrings(xmlrpcMethods))
	case "pingback.ping":
		if len(call.Params) != 2 {
			s.fault(w, &refusal{status: 200, fault: linkback.FaultInvalidParams, reason: "pingback.ping takes two parameters, sourceURI and targetURI"})
			return
		}
		msg, ref := s.ping(r.Context(), &mention.Request{
			Source: strings.TrimSpace(call.Params[0]), Target: strings.TrimSpace(call.Params[1]),
			Protocol: mention.Pingback, ClientIP: ip,
		})
		if ref != nil {
			if ref.status != 429 && ref.status != 503 {
				ref.status = 200
			}
			s.fault(w, ref)
			return
		}
		writeXML(w, http.StatusOK, linkback.EncodeResponse(msg))
	default:
		s.fault(w, &refusal{status: 200, fault: linkback.FaultMethodNotFound, reason: "no such method: " + call.Method})
	}
}

// ping verifies a Pingback or Trackback while the sender waits, and
// returns the success message or the refusal.
func (s *Server) ping(ctx context.Context, req *mention.Request) (string, *refusal) {
	var ref *refusal
	if _, _, err := s.admit(ctx, req.Source, req.Target); errors.As(err, &ref) {
		return "", ref
	}
	if existing, ok, err := s.store.Find(ctx, req.Source, req.Target); err != nil {
		s.log.Error("mention store failed", "err", err)
		return "", &refusal{status: 200, fault: linkback.FaultInternal, reason: "the receiver failed; try again later"}
	} else if ok && existing.State != mention.Deleted {
		return "", &refusal{status: 200, fault: linkback.FaultAlreadyRegistered, reason: "the " + string(req.Protocol) + " is already registered"}
	}
	// Verified first and recorded in one commit with its outcome: a crash
	// in between loses nothing, since the sender got no answer and sends
	// again (and then hears 48 if the first one had been recorded).
	req.Received = s.now().UTC()
	// The verification runs to its end when the sender hangs up: WordPress
	// gives up after 3 s (WP_HTTP_IXR_Client timeout in pingback()) and
	// never sends that pingback again unless the post is edited, so a slow
	// source would otherwise lose a genuine mention. The fetch and its
	// limits are the same whether or not anyone waits; PingVerify bounds it.
	vctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.lim.PingVerify)
	defer cancel()
	o := s.verifyRequest(vctx, req)
	if err := s.settle(vctx, req, o); err != nil {
		s.log.Error("cannot record a verification", "request", req.ID, "err", err)
		return "", &refusal{status: 200, fault: linkback.FaultInternal, reason: "the receiver failed; try again later"}
	}
	s.log.Info(string(req.Protocol)+" verified", "source", req.Source, "target", req.Target, "state", req.State, "result", req.Result)
	if ctx.Err() != nil {
		s.log.Info("the sender hung up before the answer; the outcome is kept", "source", req.Source, "target", req.Target)
	}
	switch {
	case o.verdict == accepted && o.mention.State == mention.Deleted:
		// Only a Webmention updates; this source had a mention once and now
		// fails: the pingback itself is refused.
		return "", &refusal{status: 200, fault: linkback.FaultNoLink, reason: o.reason}
	case o.verdict == accepted:
		return fmt.Sprintf("Thanks! The %s from %s to %s is registered.", req.Protocol, req.Source, req.Target), nil
	}
	return "", &refusal{status: 200, fault: o.fault, reason: o.reason}
}

func (s *Server) fault(w http.ResponseWriter, ref *refusal) {
	if ref.status == 0 {
		ref.status = 200
	}
	if ref.retryAfter > 0 {
		retryAfter(w, ref.retryAfter)
	}
	writeXML(w, ref.status, linkback.EncodeFault(ref.fault, ref.reason))
}

func writeXML(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// ---- Webmention

func (s *Server) serveWebmention(w http.ResponseWriter, r *http.Request) {
	ip, ref := s.limitIP(r)
	if ref == nil {
		ref = s.acceptWebmention(w, r, ip)
	}
	if ref != nil {
		if ref.retryAfter > 0 {
			retryAfter(w, ref.retryAfter)
		}
		http.Error(w, ref.reason, ref.status)
	}
}

func (s *Server) acceptWebmention(w http.ResponseWriter, r *http.Request, ip string) *refusal {
	body, ref := s.readBody(w, r)
	if ref != nil {
		return ref
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return &refusal{status: 400, reason: "the body is not a form (application/x-www-form-urlencoded)"}
	}
	source, target := strings.TrimSpace(form.Get("source")), strings.TrimSpace(form.Get("target"))
	if _, _, err := s.admit(r.Context(), source, target); errors.As(err, &ref) {
		return ref
	}
	if !s.queue.reserve() {
		return &refusal{status: 429, reason: "the verification queue is full; try again later", retryAfter: 30 * time.Second}
	}
	req := &mention.Request{Source: source, Target: target, Protocol: mention.Webmention, ClientIP: ip, Received: s.now().UTC()}
	// Committed before the 202, whether or not the sender is still there.
	if err := s.store.Enqueue(context.WithoutCancel(r.Context()), req); err != nil {
		s.queue.release()
		s.log.Error("cannot queue a webmention", "source", source, "target", target, "err", err)
		return &refusal{status: 503, reason: "the receiver cannot take it now; try again later", retryAfter: time.Minute}
	}
	if !s.queue.add(*req, false) {
		s.queue.release() // the start-up reload took it, and its slot, first
	}
	loc := s.statusURL(req.ID)
	w.Header().Set("Location", loc)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintf(w, "Accepted: the source will be checked for a link to the target.\nStatus: %s\n", loc)
	return nil
}

// Status is the JSON form of a Webmention status page.
type Status struct {
	ID          string               `json:"id"`
	Source      string               `json:"source"`
	Target      string               `json:"target"`
	Protocol    mention.Protocol     `json:"protocol"`
	State       mention.RequestState `json:"state"`
	Summary     string               `json:"summary"` // the state in words
	Result      string               `json:"result,omitempty"`
	Received    time.Time            `json:"received"`
	Attempts    int                  `json:"attempts,omitempty"`
	NextAttempt *time.Time           `json:"next_attempt,omitempty"`
	Mention     *StatusMention       `json:"mention,omitempty"`
}

// StatusMention is what the status page tells of the mention a request made.
type StatusMention struct {
	ID    mention.ID    `json:"id"`
	State mention.State `json:"state"`
}

func (s *Server) serveStatus(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	req, err := s.store.Request(r.Context(), id)
	if errors.Is(err, mention.ErrNotFound) || (err == nil && req.ID != id) {
		http.Error(w, "no such request", http.StatusNotFound)
		return
	}
	if err != nil {
		s.log.Error("cannot read a request", "id", id, "err", err)
		http.Error(w, "the receiver failed; try again later", http.StatusInternalServerError)
		return
	}
	st := Status{ID: req.ID, Source: req.Source, Target: req.Target, Protocol: req.Protocol, State: req.State,
		Result: req.Result, Received: req.Received, Attempts: req.Attempts}
	switch req.State {
	case mention.Queued:
		st.Summary = "queued: the source will be fetched and checked for a link to the target"
		if req.Attempts > 0 {
			next := req.NextAttempt.UTC()
			st.NextAttempt = &next
			st.Summary = fmt.Sprintf("waiting to retry: attempt %d failed (%s); next attempt after %s",
				req.Attempts, req.Result, next.Format(time.RFC3339))
		}
	case mention.Accepted:
		st.Summary = req.Result
		if m, err := s.store.Mention(r.Context(), req.Mention); err == nil {
			st.Mention = &StatusMention{ID: m.ID, State: m.State}
		}
	case mention.Refused:
		st.Summary = "refused: " + req.Result
	}
	w.Header().Set("Cache-Control", "no-store")
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, st)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = statusPage.Execute(w, st)
}

var statusPage = template.Must(template.New("status").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Webmention {{.ID}}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><h1>Webmention status</h1>
<p><strong>{{.Summary}}</strong></p>
<dl><dt>Source</dt><dd>{{.Source}}</dd><dt>Target</dt><dd>{{.Target}}</dd>
<dt>Received</dt><dd>{{.Received.UTC.Format "2006-01-02 15:04:05 MST"}}</dd>
<dt>State</dt><dd>{{.State}}{{with .Mention}} (mention {{.ID}}: {{.State}}){{end}}</dd></dl>
</body></html>
`))

// wantsJSON reports whether the Accept header prefers JSON over HTML.
func wantsJSON(r *http.Request) bool {
	acc := r.Header.Get("Accept")
	return strings.Contains(acc, "application/json") && !strings.Contains(acc, "text/html")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// ---- Trackback

// Trackback is verified while the sender waits, like a pingback: the
// protocol has no status URL, so a refusal the sender never hears of would
// teach it nothing; the volume is small, and the same limits apply.
func (s *Server) serveTrackback(w http.ResponseWriter, r *http.Request) {
	ip, ref := s.limitIP(r)
	if ref == nil {
		ref = s.acceptTrackback(r, ip)
	}
	if ref != nil {
		if ref.retryAfter > 0 {
			retryAfter(w, ref.retryAfter)
		}
		status := http.StatusOK
		if ref.status == 429 || ref.status == 413 || ref.status == 503 {
			status = ref.status
		}
		writeTrackback(w, status, ref.reason)
		return
	}
	writeTrackback(w, http.StatusOK, "")
}

func (s *Server) acceptTrackback(r *http.Request, ip string) *refusal {
	r.Body = http.MaxBytesReader(nil, r.Body, s.lim.Body)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &refusal{status: 413, reason: fmt.Sprintf("request body over %d KiB", s.lim.Body>>10)}
		}
		return &refusal{status: 400, reason: "the body is not a form"}
	}
	source := strings.TrimSpace(r.PostForm.Get("url"))
	if source == "" {
		return &refusal{status: 400, reason: "url is missing"}
	}
	target, ok := s.trackbackTarget(r.Context(), r.PathValue("path"))
	if !ok {
		return &refusal{status: 400, reason: "no such post"}
	}
	clean := func(k string, n int) string { return limitText(strings.ToValidUTF8(r.PostForm.Get(k), "\uFFFD"), n) }
	_, ref := s.ping(r.Context(), &mention.Request{
		Source: source, Target: target, Protocol: mention.Trackback, ClientIP: ip,
		Title: clean("title", 200), Excerpt: clean("excerpt", 300), BlogName: clean("blog_name", 200),
	})
	if ref != nil && ref.fault == linkback.FaultAlreadyRegistered {
		// The words WordPress uses, which senders recognise as "done".
		ref.reason = "We already have a ping from that URL for this post."
	}
	if ref != nil {
		return ref
	}
	return nil
}

// trackbackTarget maps the path of /trackback/PATH to the page at PATH on
// the first configured site that has it.
func (s *Server) trackbackTarget(ctx context.Context, path string) (string, bool) {
	if strings.Contains(path, "..") {
		return "", false
	}
	for _, site := range s.sites {
		u := *site
		u.Path = site.Path + strings.TrimPrefix(path, "/")
		u.RawPath = ""
		if s.targets.Check(ctx, &u) == nil {
			return u.String(), true
		}
	}
	return "", false
}

// writeTrackback writes a Trackback 1.2 answer: error 0, or 1 with a message.
func writeTrackback(w http.ResponseWriter, status int, msg string) {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n<response>\n")
	if msg == "" {
		b.WriteString("<error>0</error>\n")
	} else {
		b.WriteString("<error>1</error>\n<message>")
		template.HTMLEscape(&b, []byte(msg))
		b.WriteString("</message>\n")
	}
	b.WriteString("</response>\n")
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, b.String())
}

// limitText cuts s to at most n runes.
func limitText(s string, n int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}
