package linkback

import "strings"

// LinkValue is one link of an HTTP Link header (RFC 8288): its target as
// written (not yet resolved), its relation types lower-cased, and its other
// parameters with lower-cased names.
type LinkValue struct {
	URL    string
	Rels   []string
	Params map[string]string
}

// HasRel reports whether rel is one of the link's relation types, compared
// case-insensitively as RFC 8288 section 2.1.1 requires for registered types.
func (l LinkValue) HasRel(rel string) bool {
	for _, r := range l.Rels {
		if strings.EqualFold(r, rel) {
			return true
		}
	}
	return false
}

// ParseLinkHeader parses the values of every Link header of a response, in
// order, into their links. Each value may hold several comma-separated links;
// commas inside <...> and inside quoted strings do not split links. A
// malformed link is skipped up to the next top-level comma, so one bad link
// does not hide the good ones after it.
func ParseLinkHeader(values []string) []LinkValue {
	var out []LinkValue
	for _, v := range values {
		out = parseLinkValues(v, out)
	}
	return out
}

func parseLinkValues(s string, out []LinkValue) []LinkValue {
	i := 0
	for i < len(s) {
		i = skipSpaceAndCommas(s, i)
		if i >= len(s) {
			break
		}
		if s[i] != '<' {
			i = skipToComma(s, i)
			continue
		}
		end := strings.IndexByte(s[i+1:], '>')
		if end < 0 {
			// An unterminated target swallows the rest of the value.
			break
		}
		lv := LinkValue{URL: strings.TrimSpace(s[i+1 : i+1+end])}
		i += end + 2
		relSeen, bad := false, false
		for {
			i = skipOWS(s, i)
			if i >= len(s) || s[i] == ',' {
				break
			}
			if s[i] != ';' {
				// Garbage after the target or a parameter: drop this link.
				bad = true
				i = skipToComma(s, i)
				break
			}
			i = skipOWS(s, i+1)
			start := i
			for i < len(s) && isTokenChar(s[i]) {
				i++
			}
			name := strings.ToLower(s[start:i])
			i = skipOWS(s, i)
			var val string
			if i < len(s) && s[i] == '=' {
				i = skipOWS(s, i+1)
				val, i = parseParamValue(s, i)
			}
			if name == "" {
				continue
			}
			if name == "rel" {
				// RFC 8288 3.3: occurrences after the first are ignored.
				if relSeen {
					continue
				}
				relSeen = true
				for _, r := range strings.Fields(val) {
					lv.Rels = append(lv.Rels, strings.ToLower(r))
				}
				continue
			}
			if lv.Params == nil {
				lv.Params = make(map[string]string)
			}
			if _, dup := lv.Params[name]; !dup {
				lv.Params[name] = val
			}
		}
		if !bad {
			out = append(out, lv)
		}
	}
	return out
}

// parseParamValue reads a token or a quoted-string starting at i and returns
// its value (quotes removed, backslash escapes resolved) and the index after it.
func parseParamValue(s string, i int) (string, int) {
	if i < len(s) && s[i] == '"' {
		var b strings.Builder
		i++
		for i < len(s) {
			c := s[i]
			switch {
			case c == '\\' && i+1 < len(s):
				b.WriteByte(s[i+1])
				i += 2
			case c == '"':
				return b.String(), i + 1
			default:
				b.WriteByte(c)
				i++
			}
		}
		return b.String(), i
	}
	start := i
	for i < len(s) && s[i] != ';' && s[i] != ',' && s[i] != ' ' && s[i] != '\t' {
		i++
	}
	return s[start:i], i
}

func skipOWS(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

func skipSpaceAndCommas(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == ',') {
		i++
	}
	return i
}

// skipToComma returns the index of the next comma that is outside a quoted
// string and outside <...>, or len(s).
func skipToComma(s string, i int) int {
	inQuote, inAngle := false, false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote:
			if c == '\\' {
				i++
			} else if c == '"' {
				inQuote = false
			}
		case inAngle:
			if c == '>' {
				inAngle = false
			}
		case c == '"':
			inQuote = true
		case c == '<':
			inAngle = true
		case c == ',':
			return i
		}
	}
	return i
}

// isTokenChar reports whether c is an RFC 9110 tchar; '*' is included so
// extended parameters such as title* keep their name.
func isTokenChar(c byte) bool {
	if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
