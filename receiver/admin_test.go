package receiver

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hugo-pingback/hugo-pingback/mention"
)

const adminToken = "s3cret-admin-token"

func withAdmin(o *Options) { o.AdminToken = adminToken }

// seed puts mentions in the rig's store directly, as verified ones.
func (r *rig) seed(ms ...mention.Mention) []mention.Mention {
	r.t.Helper()
	var out []mention.Mention
	for _, m := range ms {
		req := &mention.Request{Source: m.Source, Target: m.Target, Protocol: m.Protocol}
		if err := r.store.Enqueue(context.Background(), req); err != nil {
			r.t.Fatal(err)
		}
		req.State = mention.Accepted
		if m.Received.IsZero() {
			m.Received = time.Now().UTC()
		}
		if err := r.store.Settle(context.Background(), req, &m); err != nil {
			r.t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// api calls the admin API with a token ("" for none).
func (r *rig) api(method, path, token, body string) (int, string) {
	r.t.Helper()
	req, _ := http.NewRequest(method, r.http.URL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestAdminAPI(t *testing.T) {
	r := newRig(t, withAdmin)
	hello := target("posts/hello/")
	r.seed(
		mention.Mention{Source: "https://a.example/1", Target: hello, Protocol: mention.Webmention, State: mention.Pending, Author: mention.Author{Name: "Ann"}},
		mention.Mention{Source: "https://b.example/2", Target: hello, Protocol: mention.Pingback, State: mention.Approved},
		mention.Mention{Source: "https://c.example/3", Target: target("posts/second/"), Protocol: mention.Trackback, State: mention.Spam, Reason: "source copies 90% of the target's text"},
	)
	ids := func(body string) string {
		var ms []mention.Mention
		if err := json.Unmarshal([]byte(body), &ms); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		var s []string
		for _, m := range ms {
			s = append(s, string(rune('0'+m.ID)))
		}
		return strings.Join(s, ",")
	}
	tests := []struct {
		name         string
		method, path string
		token, body  string
		status       int
		check        func(body string) bool
	}{
		// No token, a wrong token, a token in the URL: 401, JSON error.
		{"no token", "GET", "/api/mentions", "", "", 401, func(b string) bool { return strings.Contains(b, `"error"`) }},
		{"wrong token", "GET", "/api/mentions", "nope", "", 401, nil},
		{"token in URL", "GET", "/api/mentions?token=" + adminToken, "", "", 401, nil},
		// Every mention, in ID order.
		{"all", "GET", "/api/mentions", adminToken, "", 200, func(b string) bool { return ids(b) == "1,2,3" }},
		// Repeatable and comma-separated states.
		{"states", "GET", "/api/mentions?state=pending&state=spam", adminToken, "", 200, func(b string) bool { return ids(b) == "1,3" }},
		{"states comma", "GET", "/api/mentions?state=pending,approved", adminToken, "", 200, func(b string) bool { return ids(b) == "1,2" }},
		// By target (normalised), source, since, limit.
		{"target", "GET", "/api/mentions?target=" + url.QueryEscape("https://BLOG.example.net/posts/hello"), adminToken, "", 200, func(b string) bool { return ids(b) == "1,2" }},
		{"source", "GET", "/api/mentions?source=" + url.QueryEscape("https://c.example/3"), adminToken, "", 200, func(b string) bool { return ids(b) == "3" }},
		{"since", "GET", "/api/mentions?since=1", adminToken, "", 200, func(b string) bool { return ids(b) == "2,3" }},
		{"limit", "GET", "/api/mentions?limit=1", adminToken, "", 200, func(b string) bool { return ids(b) == "1" }},
		// An empty result is [], not null.
		{"none", "GET", "/api/mentions?state=deleted", adminToken, "", 200, func(b string) bool { return strings.TrimSpace(b) == "[]" }},
		// Bad parameters.
		{"bad state", "GET", "/api/mentions?state=hidden", adminToken, "", 400, func(b string) bool { return strings.Contains(b, "unknown state") }},
		{"bad limit", "GET", "/api/mentions?limit=x", adminToken, "", 400, nil},
		// Moderate: the updated mentions come back.
		{"moderate", "POST", "/api/mentions/moderate", adminToken, `{"ids":[1,3],"state":"approved"}`, 200,
			func(b string) bool { return ids(b) == "1,3" && strings.Count(b, `"state": "approved"`) == 2 }},
		// An unknown id: 404 and nothing changed (checked below).
		{"moderate unknown", "POST", "/api/mentions/moderate", adminToken, `{"ids":[2,99],"state":"spam"}`, 404, nil},
		{"moderate bad state", "POST", "/api/mentions/moderate", adminToken, `{"ids":[1],"state":"hidden"}`, 400, nil},
		{"moderate bad JSON", "POST", "/api/mentions/moderate", adminToken, `{"ids":"1"}`, 400, nil},
		{"moderate no token", "POST", "/api/mentions/moderate", "", `{"ids":[1],"state":"spam"}`, 401, nil},
		// Blocks.
		{"block", "POST", "/api/blocks", adminToken, `{"host":"Spam.Example"}`, 200, func(b string) bool { return strings.Contains(b, `"host": "spam.example"`) }},
		{"block URL", "POST", "/api/blocks", adminToken, `{"host":"https://junk.example/x"}`, 200, func(b string) bool { return strings.Contains(b, `"junk.example"`) }},
		{"block bad", "POST", "/api/blocks", adminToken, `{"host":"a b"}`, 400, nil},
		{"blocks", "GET", "/api/blocks", adminToken, "", 200, func(b string) bool {
			var hosts []string
			return json.Unmarshal([]byte(b), &hosts) == nil && strings.Join(hosts, ",") == "junk.example,spam.example"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := r.api(tt.method, tt.path, tt.token, tt.body)
			if code != tt.status || (tt.check != nil && !tt.check(body)) {
				t.Fatalf("%d %s", code, body)
			}
			if code >= 400 && !strings.Contains(body, `"error"`) {
				t.Fatalf("error without JSON: %s", body)
			}
		})
	}
	if m, _ := r.store.Mention(context.Background(), 2); m.State != mention.Approved {
		t.Fatalf("a refused moderation changed mention 2: %+v", m)
	}
	// A blocked host's mentions are refused from now on (fault 49 / 400).
	code, _, body := r.postForm("/webmention", url.Values{"source": {"https://sub.spam.example/x"}, "target": {hello}})
	if code != 400 || !strings.Contains(body, "not accepted") {
		t.Fatalf("blocked host: %d %s", code, body)
	}
}

// Without a token file the admin API and page do not exist.
func TestAdminOff(t *testing.T) {
	r := newRig(t)
	for _, p := range []string{"/api/mentions", "/admin/"} {
		if code, _, _ := r.get(p, ""); code != 404 {
			t.Fatalf("%s: %d", p, code)
		}
	}
}

// browser is a cookie-keeping HTTP client that does not follow redirects.
func browser(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func getPage(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func post(t *testing.T, c *http.Client, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// The moderation page through plain form posts: login, CSRF and session
// checks, approve, and what is escaped.
func TestAdminPageForms(t *testing.T) {
	r := newRig(t, withAdmin)
	hello := target("posts/hello/")
	seeded := r.seed(mention.Mention{Source: "https://a.example/1", Target: hello, Protocol: mention.Webmention, State: mention.Pending,
		Author: mention.Author{Name: `<script>alert(1)</script>Ann`}, Excerpt: `Nice post <img src=x onerror=alert(1)>`})
	id := seeded[0].ID
	base := r.http.URL + "/admin/"
	c := browser(t)

	// The login form, with its CSRF token in a cookie and a field.
	code, page := getPage(t, c, base)
	m := csrfField.FindStringSubmatch(page)
	if code != 200 || m == nil || !strings.Contains(page, `name="token"`) {
		t.Fatalf("login form %d: %s", code, page)
	}
	loginCSRF := m[1]
	// A login POST without the CSRF token, or from another "browser"
	// without the cookie: 403.
	if resp, _ := post(t, c, base+"login", url.Values{"token": {adminToken}}); resp.StatusCode != 403 {
		t.Fatalf("login without CSRF: %d", resp.StatusCode)
	}
	if resp, _ := post(t, browser(t), base+"login", url.Values{"token": {adminToken}, "csrf": {loginCSRF}}); resp.StatusCode != 403 {
		t.Fatalf("login without the CSRF cookie: %d", resp.StatusCode)
	}
	// A wrong token: 401 and the form again.
	resp, body := post(t, c, base+"login", url.Values{"token": {"wrong"}, "csrf": {loginCSRF}})
	if resp.StatusCode != 401 || !strings.Contains(body, "Wrong token") {
		t.Fatalf("wrong token: %d", resp.StatusCode)
	}
	loginCSRF = csrfField.FindStringSubmatch(body)[1]
	// The right one: a session cookie, HttpOnly and SameSite=Strict.
	resp, _ = post(t, c, base+"login", url.Values{"token": {adminToken}, "csrf": {loginCSRF}})
	if resp.StatusCode != 303 {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	var session *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie && ck.Value != "" {
			session = ck
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Secure {
		t.Fatalf("session cookie %+v (plain http: not Secure)", session)
	}
	if strings.Contains(session.Value, adminToken) {
		t.Fatal("the session cookie holds the token")
	}

	// The pending mention is listed, escaped.
	code, page = getPage(t, c, base)
	if code != 200 || !strings.Contains(page, `id="mention-1"`) || strings.Contains(page, "<script>alert") || strings.Contains(page, "<img src=x") ||
		!strings.Contains(page, "&lt;script&gt;") {
		t.Fatalf("pending page %d: %s", code, page)
	}
	csrf := csrfField.FindStringSubmatch(page)[1]
	idStr := "1"
	// A moderation POST without the CSRF token, with a wrong one, with
	// another session's: 403, nothing changed.
	for name, tok := range map[string]string{"none": "", "wrong": "x" + csrf, "login token": loginCSRF} {
		resp, _ := post(t, c, base+"moderate", url.Values{"id": {idStr}, "state": {"approved"}, "csrf": {tok}})
		if resp.StatusCode != 403 {
			t.Fatalf("CSRF %s: %d", name, resp.StatusCode)
		}
	}
	// Without a session: 401.
	if resp, _ := post(t, browser(t), base+"moderate", url.Values{"id": {idStr}, "state": {"approved"}, "csrf": {csrf}}); resp.StatusCode != 401 {
		t.Fatalf("no session: %d", resp.StatusCode)
	}
	if m, _ := r.store.Mention(context.Background(), id); m.State != mention.Pending {
		t.Fatalf("a refused POST changed the mention: %+v", m)
	}
	// Approve: back to the pending list, which is now empty.
	resp, _ = post(t, c, base+"moderate", url.Values{"id": {idStr}, "state": {"approved"}, "csrf": {csrf}, "back": {"pending"}})
	if resp.StatusCode != 303 {
		t.Fatalf("approve: %d", resp.StatusCode)
	}
	code, page = getPage(t, c, r.http.URL+resp.Header.Get("Location"))
	if code != 200 || !strings.Contains(page, "mention 1 is now approved") || !strings.Contains(page, `id="empty"`) {
		t.Fatalf("after approve %d: %s", code, page)
	}
	if m, _ := r.store.Mention(context.Background(), id); m.State != mention.Approved {
		t.Fatalf("not approved: %+v", m)
	}
	// The approved view lists it.
	if _, page = getPage(t, c, base+"?state=approved"); !strings.Contains(page, `id="mention-1"`) {
		t.Fatalf("approved view: %s", page)
	}
	// Log out: the session is gone.
	post(t, c, base+"logout", url.Values{"csrf": {csrf}})
	if _, page = getPage(t, c, base); !strings.Contains(page, `name="token"`) {
		t.Fatal("still logged in after logout")
	}
}
