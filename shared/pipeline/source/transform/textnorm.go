package transform

import (
	"sort"
	"strings"
)

// Text normalisation shared by the LVAO pipelines (shared.normalize) to
// compare names and addresses: lower-case ASCII words only.

// NormalizeStringBasic is normalize.string_basic: lower-cased,
// transliterated, every character other than a-z and 0-9 turned into a
// space, spaces collapsed ("Château de l'île" gives "chateau de l ile").
func NormalizeStringBasic(v Value) string {
	if v.IsMissing() {
		return ""
	}
	s := pyStrip(v.PyStr())
	if s == "" {
		return ""
	}
	s = unidecode(pyLower(s))
	s = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return ' '
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// NormalizeStringRemoveSmallWords is normalize.string_remove_small_words:
// words of size characters or fewer are removed.
func NormalizeStringRemoveSmallWords(v Value, size int) string {
	if v.IsMissing() {
		return ""
	}
	var kept []string
	for _, w := range pyFields(v.PyStr()) {
		if pyLen(w) > size {
			kept = append(kept, w)
		}
	}
	return strings.Join(kept, " ")
}

// NormalizeStringOrderUniqueWords is normalize.string_order_unique_words:
// distinct words in sorted order ("rue de de paris" gives "de paris rue").
func NormalizeStringOrderUniqueWords(v Value) string {
	if v.IsMissing() {
		return ""
	}
	seen := map[string]bool{}
	var words []string
	for _, w := range pyFields(v.PyStr()) {
		if !seen[w] {
			seen[w] = true
			words = append(words, w)
		}
	}
	sort.Strings(words)
	return strings.Join(words, " ")
}
