package receiver

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hugo-pingback/hugo-pingback/linkurl"
	"github.com/hugo-pingback/hugo-pingback/mention"
)

// admin serves the JSON API under /api/ and the moderation page under
// /admin/, both behind the admin token: the API takes it as a bearer token,
// the page as a login that opens a session cookie.
type admin struct {
	s        *Server
	tokenSum [32]byte // sha256 of the token: compared in constant time whatever the length
	secret   []byte   // signs CSRF tokens; new at every start

	mu       sync.Mutex
	sessions map[string]time.Time // session id -> expiry
}

const (
	sessionCookie = "hp_session"
	loginCookie   = "hp_login"
	sessionTTL    = 12 * time.Hour
)

func newAdmin(s *Server, token string) *admin {
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	return &admin{s: s, tokenSum: sha256.Sum256([]byte(token)), secret: secret, sessions: map[string]time.Time{}}
}

func (a *admin) routes(mux *http.ServeMux) {
	api := func(endpoint string, h http.HandlerFunc) http.Handler {
		return a.s.instrument(endpoint, a.bearer(h))
	}
	mux.Handle("GET /api/mentions", api("api", a.listMentions))
	mux.Handle("POST /api/mentions/moderate", api("api", a.moderate))
	mux.Handle("GET /api/blocks", api("api", a.listBlocks))
	mux.Handle("POST /api/blocks", api("api", a.block))
	mux.Handle("GET /admin/{$}", a.s.instrument("admin", http.HandlerFunc(a.page)))
	mux.Handle("POST /admin/login", a.s.instrument("admin", http.HandlerFunc(a.login)))
	mux.Handle("POST /admin/logout", a.s.instrument("admin", a.session(a.logout)))
	mux.Handle("POST /admin/moderate", a.s.instrument("admin", a.session(a.pageModerate)))
	mux.Handle("GET /admin", http.RedirectHandler("/admin/", http.StatusMovedPermanently))
}

// tokenOK compares a presented token with the admin token in constant time.
func (a *admin) tokenOK(token string) bool {
	sum := sha256.Sum256([]byte(token))
	return token != "" && subtle.ConstantTimeCompare(sum[:], a.tokenSum[:]) == 1
}

// apiError is the JSON form of every admin API error.
type apiError struct {
	Error string `json:"error"`
}

func jsonError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, apiError{Error: fmt.Sprintf(format, args...)})
}

// bearer lets a request through with "Authorization: Bearer TOKEN".
// The token is never taken from the URL, where logs and proxies keep it.
func (a *admin) bearer(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || !a.tokenOK(strings.TrimSpace(tok)) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="hugo-pingback"`)
			jsonError(w, http.StatusUnauthorized, "missing or wrong admin token")
			return
		}
		h(w, r)
	}
}

func (a *admin) listMentions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := mention.Filter{Target: q.Get("target"), Source: q.Get("source")}
	for _, st := range q["state"] {
		for _, one := range strings.Split(st, ",") {
			state := mention.State(strings.TrimSpace(one))
			if !slices.Contains(mention.States, state) {
				jsonError(w, http.StatusBadRequest, "unknown state %q (want pending, approved, spam or deleted)", one)
				return
			}
			f.States = append(f.States, state)
		}
	}
	for name, dst := range map[string]*int{"limit": &f.Limit} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				jsonError(w, http.StatusBadRequest, "%s %q is not a count", name, v)
				return
			}
			*dst = n
		}
	}
	if v := q.Get("since"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			jsonError(w, http.StatusBadRequest, "since %q is not a mention id", v)
			return
		}
		f.Since = mention.ID(n)
	}
	ms, err := a.s.store.Mentions(r.Context(), f)
	if err != nil {
		jsonError(w, http.StatusInternalServerError, "read mentions: %v", err)
		return
	}
	if ms == nil {
		ms = []mention.Mention{}
	}
	writeJSON(w, http.StatusOK, ms)
}

// ModerateRequest is the body of POST /api/mentions/moderate.
type ModerateRequest struct {
	IDs    []mention.ID  `json:"ids"`
	State  mention.State `json:"state"`
	Reason string        `json:"reason,omitempty"`
}

func (a *admin) moderate(w http.ResponseWriter, r *http.Request) {
	var req ModerateRequest
	if err := decodeJSON(w, r, &req); err != nil {
		jsonError(w, http.StatusBadRequest, "%v", err)
		return
	}
	ms, status, err := a.apply(r, req)
	if err != nil {
		jsonError(w, status, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, ms)
}

// apply moderates for the API and the page alike.
func (a *admin) apply(r *http.Request, req ModerateRequest) ([]mention.Mention, int, error) {
	if !slices.Contains(mention.States, req.State) {
		return nil, http.StatusBadRequest, fmt.Errorf("unknown state %q (want pending, approved, spam or deleted)", req.State)
	}
	if len(req.IDs) == 0 {
		return nil, http.StatusBadRequest, errors.New("no mention ids")
	}
	ms, err := a.s.store.Moderate(r.Context(), req.IDs, req.State, req.Reason)
	if errors.Is(err, mention.ErrNotFound) {
		return nil, http.StatusNotFound, err
	}
	if err != nil {
		return nil, http.StatusInternalServerError, fmt.Errorf("moderate: %w", err)
	}
	a.s.log.Info("mentions moderated", "ids", req.IDs, "state", req.State)
	if req.State == mention.Approved {
		a.s.hook.trigger()
	}
	return ms, http.StatusOK, nil
}

// BlockRequest is the body of POST /api/blocks, and its answer.
type BlockRequest struct {
	Host string `json:"host"`
}

func (a *admin) block(w http.ResponseWriter, r *http.Request) {
	var req BlockRequest
	if err := decodeJSON(w, r, &req); err != nil {
		jsonError(w, http.StatusBadRequest, "%v", err)
		return
	}
	host, err := cleanHost(req.Host)
	if err != nil {
		jsonError(w, http.StatusBadRequest, "%v", err)
		return
	}
	if err := a.s.store.Block(r.Context(), host); err != nil {
		jsonError(w, http.StatusInternalServerError, "block %s: %v", host, err)
		return
	}
	a.s.blocked.invalidate()
	a.s.log.Info("host blocked", "host", host)
	writeJSON(w, http.StatusOK, BlockRequest{Host: host})
}

// cleanHost reads a host name to block: a bare name, or the host of a URL.
func cleanHost(raw string) (string, error) {
	h := mention.NormaliseHost(raw)
	if u := linkurl.Parse(strings.TrimSpace(raw)); u != nil {
		h = linkurl.Host(u)
	}
	if h == "" || strings.ContainsAny(h, "/:@ ?#") {
		return "", fmt.Errorf("%q is not a host name", raw)
	}
	return h, nil
}

func (a *admin) listBlocks(w http.ResponseWriter, r *http.Request) {
	hosts, err := a.s.blocked.list(r.Context())
	if err != nil {
		jsonError(w, http.StatusInternalServerError, "read blocks: %v", err)
		return
	}
	if hosts == nil {
		hosts = []string{}
	}
	writeJSON(w, http.StatusOK, hosts)
}

func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("bad JSON body: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("bad JSON body: more than one value")
	}
	return nil
}

// ---- the moderation page

//go:embed templates/admin.html
var templatesFS embed.FS

var adminPage = template.Must(template.New("admin.html").Funcs(template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04")
	},
}).ParseFS(templatesFS, "templates/admin.html"))

// pageData is what the admin template shows.
type pageData struct {
	LoggedIn  bool
	CSRF      string
	State     mention.State
	States    []mention.State
	Mentions  []mention.Mention
	Message   string
	Error     string
	LoginFail bool
}

// newID returns 32 random bytes as base64url.
func newID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// csrfFor is the CSRF token of a session: an HMAC of its id under the
// server's secret, so it needs no storage and is useless for any other session.
func (a *admin) csrfFor(session string) string {
	mac := hmac.New(sha256.New, a.secret)
	mac.Write([]byte("csrf\x00" + session))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// currentSession returns the valid session id of the request, if any.
func (a *admin) currentSession(r *http.Request) (string, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return "", false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	exp, ok := a.sessions[c.Value]
	if !ok || time.Now().After(exp) {
		delete(a.sessions, c.Value)
		return "", false
	}
	return c.Value, true
}

func secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func (a *admin) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/admin/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure(r),
	})
}

func (a *admin) render(w http.ResponseWriter, status int, d pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	w.WriteHeader(status)
	_ = adminPage.Execute(w, d)
}

// page shows the login form, or the mentions of one state (default pending).
func (a *admin) page(w http.ResponseWriter, r *http.Request) {
	sess, ok := a.currentSession(r)
	if !ok {
		a.loginForm(w, r, http.StatusOK, false)
		return
	}
	st := mention.State(r.URL.Query().Get("state"))
	if st == "" {
		st = mention.Pending
	}
	if !slices.Contains(mention.States, st) {
		a.render(w, http.StatusBadRequest, pageData{LoggedIn: true, CSRF: a.csrfFor(sess), States: mention.States, Error: "unknown state " + string(st)})
		return
	}
	ms, err := a.s.store.Mentions(r.Context(), mention.Filter{States: []mention.State{st}})
	if err != nil {
		a.render(w, http.StatusInternalServerError, pageData{LoggedIn: true, CSRF: a.csrfFor(sess), States: mention.States, Error: "cannot read mentions: " + err.Error()})
		return
	}
	slices.Reverse(ms) // newest first
	a.render(w, http.StatusOK, pageData{LoggedIn: true, CSRF: a.csrfFor(sess), State: st, States: mention.States,
		Mentions: ms, Message: r.URL.Query().Get("done")})
}

// loginForm shows the login form with a fresh login CSRF token, set as a
// cookie too (double submit: no session exists yet to tie it to).
func (a *admin) loginForm(w http.ResponseWriter, r *http.Request, status int, failed bool) {
	tok := newID()
	a.setCookie(w, r, loginCookie, tok, 600)
	a.render(w, status, pageData{CSRF: tok, LoginFail: failed})
}

func (a *admin) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	c, err := r.Cookie(loginCookie)
	if err != nil || !equalConst(c.Value, r.PostForm.Get("csrf")) {
		http.Error(w, "the form expired or did not come from this page: reload and try again", http.StatusForbidden)
		return
	}
	// The same bucket as the protocol endpoints: guessing the token is
	// limited to the client's rate.
	if _, ref := a.s.limitIP(r); ref != nil {
		retryAfter(w, ref.retryAfter)
		http.Error(w, ref.reason, ref.status)
		return
	}
	if !a.tokenOK(r.PostForm.Get("token")) {
		a.s.log.Warn("admin login failed", "client", clientIP(r, a.s.opts.TrustProxy))
		a.loginForm(w, r, http.StatusUnauthorized, true)
		return
	}
	sess := newID()
	a.mu.Lock()
	now := time.Now()
	for id, exp := range a.sessions {
		if now.After(exp) {
			delete(a.sessions, id)
		}
	}
	a.sessions[sess] = now.Add(sessionTTL)
	a.mu.Unlock()
	a.setCookie(w, r, sessionCookie, sess, int(sessionTTL/time.Second))
	a.setCookie(w, r, loginCookie, "", -1)
	http.Redirect(w, r, "/admin/", http.StatusSeeOther)
}

// session lets a form POST through with a live session and its CSRF token.
func (a *admin) session(h func(http.ResponseWriter, *http.Request, string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		sess, ok := a.currentSession(r)
		if !ok {
			http.Error(w, "not logged in", http.StatusUnauthorized)
			return
		}
		if !equalConst(a.csrfFor(sess), r.PostForm.Get("csrf")) {
			http.Error(w, "bad or missing CSRF token: reload the page and try again", http.StatusForbidden)
			return
		}
		h(w, r, sess)
	}
}

func equalConst(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func (a *admin) logout(w http.ResponseWriter, r *http.Request, sess string) {
	a.mu.Lock()
	delete(a.sessions, sess)
	a.mu.Unlock()
	a.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/admin/", http.StatusSeeOther)
}

func (a *admin) pageModerate(w http.ResponseWriter, r *http.Request, _ string) {
	id, err := strconv.ParseInt(r.PostForm.Get("id"), 10, 64)
	if err != nil {
		http.Error(w, "bad mention id", http.StatusBadRequest)
		return
	}
	st := mention.State(r.PostForm.Get("state"))
	reason := ""
	if st != mention.Approved {
		reason = "marked " + string(st) + " by the moderator"
	}
	ms, status, err := a.apply(r, ModerateRequest{IDs: []mention.ID{mention.ID(id)}, State: st, Reason: reason})
	if err != nil {
		http.Error(w, err.Error(), status)
		return
	}
	back := r.PostForm.Get("back")
	if !slices.Contains(mention.States, mention.State(back)) {
		back = string(mention.Pending)
	}
	done := fmt.Sprintf("mention %d is now %s", ms[0].ID, ms[0].State)
	http.Redirect(w, r, "/admin/?state="+back+"&done="+urlQueryEscape(done), http.StatusSeeOther)
}

func urlQueryEscape(s string) string {
	return strings.ReplaceAll(template.URLQueryEscaper(s), "+", "%20")
}
