package transform

import (
	"errors"
	"regexp"
	"strings"
	"unicode"
)

// Addresses. The eco-organisms publish one text ("adresse_format_ban") that
// clean_adresse splits into adresse, code_postal and ville, optionally
// checked against the BAN (Base Adresse Nationale) geocoder.

// AddressMatch is what the BAN geocoder returned for a query (the first
// feature's properties).
type AddressMatch struct {
	Query      string // the query as the BAN echoes it
	Label      string // full label of the feature
	Address    string // "name" property: street part
	PostalCode string
	City       string
	Latitude   float64
	Longitude  float64
}

// AddressLookup asks the BAN for an address (limit 1). ok is false when
// the BAN found nothing or answered with an error status.
type AddressLookup func(query string) (match AddressMatch, ok bool, err error)

// banMatchThreshold is the minimum similarity (percent) between the query
// and the BAN label for the BAN answer to be trusted.
const banMatchThreshold = 80

const banSeparators = reSpace + `,;\-`

// banStrip are the characters trimmed from each part (" ,;-"; upstream
// derives it from the separator class by replacing \s with a space).
const banStrip = " ,;-"

var (
	// street, postal code (4 or 5 digits), city
	reAddressWithStreet = regexp.MustCompile(`(.*)[` + banSeparators + `]+(` + reDigit + `{4,5})[` + banSeparators + `]*(.*)`)
	// postal code and city only
	reAddressWithoutStreet = regexp.MustCompile(`(` + reDigit + `{4,5})[` + banSeparators + `]*(.*)`)
)

// isWordRune is Python's \w for str patterns.
func isWordRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) }

// removeCedex is re.sub(r"\bCEDEX\s*\d*\b", "", s, flags=re.I) then strip():
// "Paris CEDEX 01" loses its "CEDEX 01". Go's \b only knows ASCII words, so
// the match, with its backtracking, is written out here.
func removeCedex(s string) string {
	if !strings.Contains(strings.ToUpper(s), "CEDEX") {
		return pyStrip(s)
	}
	rs := []rune(s)
	word := func(i int) bool { return i >= 0 && i < len(rs) && isWordRune(rs[i]) }
	boundary := func(i int) bool { return word(i-1) != word(i) }
	var b strings.Builder
	last := 0
	for i := 0; i+5 <= len(rs); {
		if !isCedexAt(rs, i) || !boundary(i) {
			i++
			continue
		}
		end := -1
		spaces := 0
		for i+5+spaces < len(rs) && pyIsSpace(rs[i+5+spaces]) {
			spaces++
		}
		// \s* then \d*, both greedy, giving back until \b holds.
		for k := spaces; k >= 0 && end < 0; k-- {
			digits := 0
			for i+5+k+digits < len(rs) && unicode.Is(unicode.Nd, rs[i+5+k+digits]) {
				digits++
			}
			if k < spaces {
				digits = 0 // after fewer spaces the next rune is a space
			}
			for d := digits; d >= 0; d-- {
				if boundary(i + 5 + k + d) {
					end = i + 5 + k + d
					break
				}
			}
		}
		if end < 0 {
			i++
			continue
		}
		b.WriteString(string(rs[last:i]))
		last = end
		if end == i {
			i++
		} else {
			i = end
		}
	}
	b.WriteString(string(rs[last:]))
	return pyStrip(b.String())
}

func isCedexAt(rs []rune, i int) bool {
	for j, c := range "CEDEX" {
		if unicode.ToUpper(rs[i+j]) != c {
			return false
		}
	}
	return true
}

// ExtractAddress is the text parser of clean_adresse (_extract_details):
// the last "<street> <postal code> <city>" split, or "<postal code> <city>";
// the city is title-cased without '*'; a 4-digit postal code gets its
// leading zero back.
func ExtractAddress(text string) (adresse, codePostal, ville string, err error) {
	if text == "" {
		return "", "", "", nil
	}
	s := removeCedex(text)
	if m := reAddressWithStreet.FindStringSubmatch(s); m != nil {
		adresse = pyStripChars(m[1], banStrip)
		codePostal = pyStripChars(m[2], banStrip)
		ville = pyStripChars(m[3], banStrip)
	} else if m := reAddressWithoutStreet.FindStringSubmatch(s); m != nil {
		codePostal = pyStripChars(m[1], banStrip)
		ville = pyStripChars(m[2], banStrip)
	}
	if ville != "" {
		ville = pyStripChars(strings.ReplaceAll(pyTitle(ville), "*", ""), banStrip)
	}
	cp, err := CleanCodePostal(String(codePostal), nil)
	if err != nil {
		return "", "", "", err
	}
	return adresse, cp.Str(), ville, nil
}

// banAddress is _get_address: the BAN answer when it is close enough to the
// query (and complete), the text parser otherwise.
func banAddress(text string, lookup AddressLookup) (string, string, string, error) {
	if text == "" {
		return "", "", "", nil
	}
	m, ok, err := lookup(text)
	if errors.Is(err, ErrUnavailable) {
		return "", "", "", err
	}
	if err != nil {
		return "", "", "", newFatal("RequestException", "BAN lookup: %v", err)
	}
	if ok && FuzzRatio(pyLower(m.Query), pyLower(m.Label)) >= banMatchThreshold &&
		m.Address != "" && m.PostalCode != "" && m.City != "" {
		return m.Address, m.PostalCode, m.City, nil
	}
	return ExtractAddress(text)
}

// CleanAdresse is the dataframe transform clean_adresse (origin
// [adresse_format_ban]; destination [adresse, code_postal, ville]). Nothing
// found is an AdresseWarning.
func CleanAdresse(in Row, cfg *SourceConfig) (Row, error) {
	v, ok := in.Lookup("adresse_format_ban")
	if !ok {
		return Row{}, newFatal(ExcKeyError, "'adresse_format_ban'")
	}
	text := ""
	if v.Truthy() {
		text = v.PyStr()
	}
	var a, cp, ville string
	var err error
	if cfg != nil && cfg.ValidateAddressWithBAN && cfg.AddressLookup != nil {
		a, cp, ville, err = banAddress(text, cfg.AddressLookup)
	} else {
		a, cp, ville, err = ExtractAddress(text)
	}
	if err != nil {
		return Row{}, err
	}
	if a == "" && cp == "" && ville == "" {
		return Row{}, newWarning(ExcAdresseWarning, "Adresse n'a pas pu être déduit : %s", rowText(in))
	}
	return NewRow(Field{"adresse", String(a)}, Field{"code_postal", String(cp)}, Field{"ville", String(ville)}), nil
}

// FuzzRatio is fuzzywuzzy's fuzz.ratio (with python-Levenshtein): the
// similarity of two texts in percent, 100 × (1 − indel distance / total
// length), rounded.
func FuzzRatio(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	total := len(ra) + len(rb)
	if total == 0 {
		return 100
	}
	// indel distance = total − 2 × longest common subsequence
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			switch {
			case ra[i-1] == rb[j-1]:
				cur[j] = prev[j-1] + 1
			case prev[j] >= cur[j-1]:
				cur[j] = prev[j]
			default:
				cur[j] = cur[j-1]
			}
		}
		prev, cur = cur, prev
	}
	lcs := prev[len(rb)]
	ratio := float64(2*lcs) / float64(total)
	return int(ratio*100 + 0.5)
}
