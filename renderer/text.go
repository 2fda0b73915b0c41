package renderer

import (
	"net/url"
)

// TextLen is the number of characters at which Text stops collecting: far
// more than any article holds, few enough that a hostile page cannot make
// the text outgrow the page.
const TextLen = 1 << 18

// Text returns the plain text of a page's content region, the region whose
// links Extract returns (the default chain, or Options.Content when set):
// whitespace collapsed, block elements separating words, no chrome, script,
// style or template text, at most TextLen characters, valid UTF-8. The
// receiver compares it with a source page's text to spot scrapers that copy
// the page. The only error is an invalid Options.Content selector (wrapping
// ErrInvalidSelector). pageURL only names the page in errors; it may be nil.
func Text(src []byte, pageURL *url.URL, opts *Options) (string, error) {
	s := scannerPool.Get().(*scanner)
	defer s.release()
	region, err := s.scanPage(src, pageURL, opts, TextLen)
	if err != nil {
		return "", err
	}
	return validText(s.text[regionIndex(region)].b), nil
}
