package linkback

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/url"
	"strings"
)

// maxRDFBlocks bounds the work done on a hostile page full of RDF blocks.
const maxRDFBlocks = 100

var (
	rdfOpen  = []byte("<rdf:rdf")
	rdfClose = []byte("</rdf:rdf>")
)

// findTrackback returns the Trackback ping URL of the RDF block whose
// dc:identifier matches target, or "" if none does. The RDF usually sits
// inside an HTML comment (Trackback 1.2, "Autodiscovery"), so the raw bytes
// are searched, not the element tree; a page may hold one block per post
// (index pages), which is why the identifier must match.
func findTrackback(body []byte, target string) string {
	want := normalizeIdentifier(target)
	if want == "" {
		return ""
	}
	lower := bytes.ToLower(body)
	for n, i := 0, 0; n < maxRDFBlocks; n++ {
		start := bytes.Index(lower[i:], rdfOpen)
		if start < 0 {
			return ""
		}
		start += i
		end := bytes.Index(lower[start:], rdfClose)
		if end < 0 {
			return ""
		}
		end += start + len(rdfClose)
		i = end
		for _, d := range parseRDF(body[start:end]) {
			if d.ping != "" && normalizeIdentifier(d.identifier) == want {
				return d.ping
			}
		}
	}
	return ""
}

type rdfDescription struct {
	identifier, ping string
}

// parseRDF reads the rdf:Description elements of one RDF block. Names are
// matched by local part only: a page that binds the namespaces to other
// prefixes still works, and the block is parsed leniently because it was
// written inside HTML, not as a standalone XML document.
func parseRDF(block []byte) []rdfDescription {
	dec := xml.NewDecoder(bytes.NewReader(block))
	dec.Strict = false
	dec.AutoClose = xml.HTMLAutoClose
	dec.Entity = xml.HTMLEntity
	var out []rdfDescription
	var cur *rdfDescription
	var inIdentifier bool
	for {
		tok, err := dec.Token()
		if err != nil {
			if err != io.EOF && cur != nil {
				out = append(out, *cur)
			}
			return out
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch strings.ToLower(t.Name.Local) {
			case "description":
				if cur != nil {
					out = append(out, *cur)
				}
				cur = &rdfDescription{}
				for _, a := range t.Attr {
					switch strings.ToLower(a.Name.Local) {
					case "identifier":
						cur.identifier = strings.TrimSpace(a.Value)
					case "ping":
						cur.ping = strings.TrimSpace(a.Value)
					}
				}
			case "identifier":
				inIdentifier = cur != nil
			case "ping":
				// Element form: <trackback:ping rdf:resource="..."/>.
				if cur != nil {
					for _, a := range t.Attr {
						if strings.EqualFold(a.Name.Local, "resource") {
							cur.ping = strings.TrimSpace(a.Value)
						}
					}
				}
			}
		case xml.CharData:
			if inIdentifier && cur != nil {
				cur.identifier += strings.TrimSpace(string(t))
			}
		case xml.EndElement:
			switch strings.ToLower(t.Name.Local) {
			case "identifier":
				inIdentifier = false
			case "description":
				if cur != nil {
					out = append(out, *cur)
					cur = nil
				}
			}
		}
	}
}

// normalizeIdentifier makes a permalink comparable: scheme and host lower
// case, fragment dropped, trailing slash dropped, so "http://b.example/p/"
// matches "http://B.example/p#comments".
func normalizeIdentifier(s string) string {
	s = strings.TrimSpace(s)
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return ""
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	u.Fragment, u.RawFragment = "", ""
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u.String()
}
