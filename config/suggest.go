package config

// didYouMean returns the candidate closest to s by edit distance, or "" when
// none is close enough to be a plausible typo.
func didYouMean(s string, candidates []string) string {
	best, bestDist := "", -1
	for _, c := range candidates {
		d := levenshtein(s, c)
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	limit := max(2, len(s)/3)
	if bestDist < 0 || bestDist > limit {
		return ""
	}
	return best
}

// levenshtein is the edit distance between a and b (bytes; keys are ASCII).
// Inputs longer than 256 bytes are compared by their prefix: no key is that
// long, and a hostile input must not cost quadratic time.
func levenshtein(a, b string) int {
	const limit = 256
	if len(a) > limit {
		a = a[:limit]
	}
	if len(b) > limit {
		b = b[:limit]
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
