package linkurl

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// ErrBadPattern is wrapped by the errors of CompilePattern.
var ErrBadPattern = errors.New("invalid URL pattern")

// Pattern matches URLs by host and path, for the exclude list of the sender
// and the allow and deny lists of the receiver. Its language:
//
//	[scheme://]HOST[:PORT][/PATH]
//
// HOST is a glob over the host name, compared without case: "*" matches
// within one label (no dot), "**" matches across labels, and a leading
// "*." matches the domain itself and every sub-domain at any depth, so
// "*.facebook.com" matches facebook.com and www.facebook.com. A pattern
// with a port matches only that port.
//
// PATH is a glob over the URL's path that matches a prefix ending at a
// segment boundary: "/private" matches /private, /private/ and /private/a
// but not /privateer. In it "*" matches within one segment (no slash),
// "**" matches across segments, "?" one character, and "[a-z]" a class.
// Without a path, or with "/" or "/*", every path matches, so
// "twitter.com/*" also matches https://twitter.com with no path at all.
// Query and fragment are never compared. Without a scheme both http and
// https match.
type Pattern struct {
	raw    string
	scheme string
	host   *regexp.Regexp
	port   bool
	path   *regexp.Regexp // nil: every path
}

// String returns the pattern as written.
func (p *Pattern) String() string { return p.raw }

// CompilePattern parses a pattern; the error names it and wraps ErrBadPattern.
func CompilePattern(s string) (*Pattern, error) {
	fail := func(why string) (*Pattern, error) {
		return nil, fmt.Errorf("%w %q: %s", ErrBadPattern, s, why)
	}
	p := &Pattern{raw: s}
	rest := strings.TrimSpace(s)
	if i := strings.Index(rest, "://"); i >= 0 {
		p.scheme = strings.ToLower(rest[:i])
		if p.scheme != "http" && p.scheme != "https" {
			return fail("only http and https URLs are ever notified")
		}
		rest = rest[i+3:]
	}
	host, path := rest, ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		host, path = rest[:i], rest[i:]
	}
	if host == "" {
		return fail("no host (write *.example.com, or ** for any host)")
	}
	if strings.ContainsAny(host, "?#@\\") {
		return fail("the host part may hold only a name, * and **, and a port")
	}
	p.port = strings.Contains(host, ":")
	hostRE := "^"
	h := strings.ToLower(host)
	if rest, ok := strings.CutPrefix(h, "*."); ok {
		hostRE += `(?:[^/]*\.)?`
		h = rest
	}
	re, err := globRegexp(h, '.')
	if err != nil {
		return fail(err.Error())
	}
	if p.host, err = regexp.Compile(hostRE + re + "$"); err != nil {
		return fail(err.Error())
	}
	// "/*" and "/**" at the end add nothing to a prefix match.
	for _, suffix := range []string{"/**", "/*"} {
		if strings.HasSuffix(path, suffix) {
			path = strings.TrimSuffix(path, suffix)
			break
		}
	}
	if path == "" || path == "/" {
		return p, nil
	}
	if strings.Contains(path, "#") {
		return fail("a fragment is never compared")
	}
	re, err = globRegexp(strings.TrimSuffix(path, "/"), '/')
	if err != nil {
		return fail(err.Error())
	}
	tail := `(?:/.*)?$`
	if strings.HasSuffix(path, "/") {
		tail = `/.*$`
	}
	if p.path, err = regexp.Compile("^" + re + tail); err != nil {
		return fail(err.Error())
	}
	return p, nil
}

// globRegexp translates a glob whose "*" stops at sep into a regular
// expression (without anchors).
func globRegexp(g string, sep byte) (string, error) {
	var b strings.Builder
	notSep := "[^" + regexp.QuoteMeta(string(sep)) + "]"
	for i := 0; i < len(g); i++ {
		switch c := g[i]; c {
		case '*':
			if i+1 < len(g) && g[i+1] == '*' {
				b.WriteString(".*")
				i++
			} else {
				b.WriteString(notSep + "*")
			}
		case '?':
			b.WriteString(notSep)
		case '[':
			j := strings.IndexByte(g[i+1:], ']')
			if j < 0 {
				return "", errors.New(`"[" without a closing "]"`)
			}
			class := g[i+1 : i+1+j]
			if class == "" || class == "!" || class == "^" {
				return "", errors.New("an empty character class")
			}
			if class[0] == '!' {
				class = "^" + class[1:]
			}
			b.WriteString("[" + strings.ReplaceAll(class, `\`, `\\`) + "]")
			i += j + 1
		case '\\':
			if i+1 == len(g) {
				return "", errors.New(`a "\" at the end`)
			}
			i++
			b.WriteString(regexp.QuoteMeta(string(g[i])))
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	return b.String(), nil
}

// Match reports whether u matches the pattern.
func (p *Pattern) Match(u *url.URL) bool {
	if p.scheme != "" && !strings.EqualFold(u.Scheme, p.scheme) {
		return false
	}
	host := Host(u)
	if p.port {
		port := u.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
		}
		host += ":" + port
	}
	if !p.host.MatchString(host) {
		return false
	}
	if p.path == nil {
		return true
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	return p.path.MatchString(path)
}

// MatchHost reports whether a host name matches the pattern's host part
// (and the pattern has no path): the receiver's allow and deny lists.
func (p *Pattern) MatchHost(host string) bool {
	return p.path == nil && !p.port && p.host.MatchString(strings.TrimSuffix(strings.ToLower(host), "."))
}

// Patterns is a list of compiled patterns.
type Patterns []*Pattern

// CompilePatterns compiles each pattern; the first bad one is the error.
func CompilePatterns(list []string) (Patterns, error) {
	ps := make(Patterns, 0, len(list))
	for _, s := range list {
		p, err := CompilePattern(s)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// Match returns the first pattern that matches u, or nil.
func (ps Patterns) Match(u *url.URL) *Pattern {
	for _, p := range ps {
		if p.Match(u) {
			return p
		}
	}
	return nil
}
