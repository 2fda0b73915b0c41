// Package suggest finds the name a user most likely meant: the "did you
// mean" of mistyped flags, commands and config keys.
package suggest

import "strings"

// Closest returns the candidate nearest to s, or "" when none is near
// enough to be a likely typo: an edit distance (with transpositions) of at
// most a third of the longer name, at least 1 and at most 3, compared
// without case. A candidate that s is a prefix of (or the reverse) also
// counts, so "--dry" suggests "--dry-run".
func Closest(s string, candidates []string) string {
	ls := strings.ToLower(s)
	best, bestDist := "", 1<<30
	for _, c := range candidates {
		lc := strings.ToLower(c)
		d := distance(ls, lc)
		limit := max(len(ls), len(lc)) / 3
		limit = min(max(limit, 1), 3)
		if d > limit && !(len(ls) >= 3 && (strings.HasPrefix(lc, ls) || strings.HasPrefix(ls, lc))) {
			continue
		}
		if d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// distance is the optimal string alignment distance: insertions, deletions,
// substitutions and transpositions of neighbours each cost one.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
