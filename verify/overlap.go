package verify

import (
	"slices"
	"unicode"
	"unicode/utf8"
)

// DefaultScraperThreshold is the Overlap at or above which a source is
// taken for a copy of the target. Measured on the 789 pages of the Hugo
// docs corpus (TestOverlapCorpus): a page's content under another title
// and chrome scores 0.85 to 1 (median 1); a post quoting the page's
// longest paragraph among its own words scores at most 0.51 (median 0.09)
// on pages of 100 words or more, at most 0.27 when it quotes a
// median-length paragraph; another page of the same site scores at most
// 0.31 (median 0.02; the high end is in-article boilerplate shared with
// pages of under 25 words). 0.5 would flag the worst quote; 0.6 leaves a
// margin on both sides. Quoting most of a page under 100 words can reach
// it: such a quote is close to a copy.
const DefaultScraperThreshold = 0.6

// shingleWords is how many words make a shingle: long enough that common
// phrases ("in the case of the") rarely match, short enough that a copy
// with a changed word here and there still matches most shingles.
const shingleWords = 5

// Overlap returns the share, from 0 to 1, of the target text's word
// shingles (runs of five words, lower-cased, punctuation dropped) that
// appear in the source text. A target with fewer than five words is one
// shingle of all its words; a target with no words scores 0. Each
// character of a script written without spaces (Han, Hiragana, Katakana)
// counts as a word.
func Overlap(source, target string) float64 {
	tw := wordHashes(target)
	if len(tw) == 0 {
		return 0
	}
	k := min(shingleWords, len(tw))
	t := shingles(tw, k)
	s := shingles(wordHashes(source), k)
	found := 0
	for i, j := 0, 0; i < len(t) && j < len(s); {
		switch {
		case t[i] == s[j]:
			found++
			i++
			j++
		case t[i] < s[j]:
			i++
		default:
			j++
		}
	}
	return float64(found) / float64(len(t))
}

// wordHashes returns a hash of each word of text, lower-cased: a word is a
// run of letters, digits and combining marks, or one character of a script
// written without spaces.
func wordHashes(text string) []uint64 {
	const offset, prime = 14695981039346656037, 1099511628211 // FNV-1a
	hs := make([]uint64, 0, len(text)/6)
	h, in := uint64(offset), false
	for i := 0; i < len(text); {
		r, n := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(text[i:])
		}
		i += n
		switch {
		case r < utf8.RuneSelf && ('a' <= r && r <= 'z' || '0' <= r && r <= '9'):
		case r < utf8.RuneSelf && 'A' <= r && r <= 'Z':
			r += 'a' - 'A'
		case r < utf8.RuneSelf:
			r = -1
		case unspaced(r):
			if in {
				hs = append(hs, h)
			}
			hs = append(hs, (offset^uint64(r))*prime)
			h, in = offset, false
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			r = unicode.ToLower(r)
		default:
			r = -1
		}
		if r < 0 {
			if in {
				hs = append(hs, h)
				h, in = offset, false
			}
			continue
		}
		h = (h ^ uint64(r)) * prime
		in = true
	}
	if in {
		hs = append(hs, h)
	}
	return hs
}

// unspaced reports whether r belongs to a script written without spaces
// between words, whose characters count as words.
func unspaced(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r)
}

// shingles returns the distinct hashes of every run of k consecutive words,
// sorted.
func shingles(words []uint64, k int) []uint64 {
	if len(words) < k {
		return nil
	}
	out := make([]uint64, 0, len(words)-k+1)
	for i := 0; i+k <= len(words); i++ {
		var h uint64
		for _, w := range words[i : i+k] {
			h = mix(h*0x9E3779B97F4A7C15 + w)
		}
		out = append(out, h)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// mix is the splitmix64 finaliser: it spreads the bits of a combined hash.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}
