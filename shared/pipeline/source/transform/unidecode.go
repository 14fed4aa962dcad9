package transform

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// LVAO matches labels after Python's unidecode() (format_libelle_to_code,
// compute_identifiant_unique, service à domicile): "Déchèterie" must find
// "decheterie". unidecode maps every character to ASCII; this table covers
// what French open data holds (Latin-1, Latin Extended-A, typographic
// punctuation, combining accents). Characters outside it are kept as they
// are (unidecode would transliterate them, e.g. Greek or CJK); such text
// would not match an ASCII mapping key either way.

var latin1 = [...]string{ // U+00A0 … U+00FF
	" ", "!", "C/", "PS", "$?", "Y=", "|", "SS", "\"", "(c)", "a", "<<", "!", "", "(r)", "-",
	"deg", "+-", "2", "3", "'", "u", "P", "*", ",", "1", "o", ">>", " 1/4", " 1/2", " 3/4", "?",
	"A", "A", "A", "A", "A", "A", "AE", "C", "E", "E", "E", "E", "I", "I", "I", "I",
	"D", "N", "O", "O", "O", "O", "O", "x", "O", "U", "U", "U", "U", "Y", "Th", "ss",
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
	"d", "n", "o", "o", "o", "o", "o", "/", "o", "u", "u", "u", "u", "y", "th", "y",
}

// latinExtA is U+0100 … U+017F. (Ŋ gives "ng" and ŋ "NG": unidecode's own
// table has them swapped.)
var latinExtA = [...]string{
	"A", "a", "A", "a", "A", "a", "C", "c", "C", "c", "C", "c", "C", "c", "D", "d",
	"D", "d", "E", "e", "E", "e", "E", "e", "E", "e", "E", "e", "G", "g", "G", "g",
	"G", "g", "G", "g", "H", "h", "H", "h", "I", "i", "I", "i", "I", "i", "I", "i",
	"I", "i", "IJ", "ij", "J", "j", "K", "k", "k", "L", "l", "L", "l", "L", "l", "L",
	"l", "L", "l", "N", "n", "N", "n", "N", "n", "'n", "ng", "NG", "O", "o", "O", "o",
	"O", "o", "OE", "oe", "R", "r", "R", "r", "R", "r", "S", "s", "S", "s", "S", "s",
	"S", "s", "T", "t", "T", "t", "T", "t", "U", "u", "U", "u", "U", "u", "U", "u",
	"U", "u", "U", "u", "W", "w", "Y", "y", "Y", "Z", "z", "Z", "z", "Z", "z", "s",
}

var punctuation = map[rune]string{
	0x2010: "-", 0x2011: "-", 0x2012: "-", 0x2013: "-", 0x2014: "--", 0x2015: "--",
	0x2018: "'", 0x2019: "'", 0x201a: ",", 0x201b: "'", 0x201c: "\"", 0x201d: "\"",
	0x201e: ",,", 0x2020: "+", 0x2022: "*", 0x2026: "...", 0x2030: "%0", 0x2032: "'",
	0x2033: "''", 0x2039: "<", 0x203a: ">", 0x200b: " ", 0x202f: " ", 0x205f: " ",
	0x20ac: "EUR", 0x2122: "(tm)", 0x2212: "-", 0xfeff: "",
	0x01cd: "A", 0x01ce: "a", 0x0218: "S", 0x0219: "s", 0x021a: "T", 0x021b: "t",
}

// unidecode transliterates s to ASCII as Python's unidecode does for the
// characters listed above.
func unidecode(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r < 0x80:
			b.WriteRune(r)
		case r >= 0xa0 && r <= 0xff:
			b.WriteString(latin1[r-0xa0])
		case r >= 0x100 && r <= 0x17f:
			b.WriteString(latinExtA[r-0x100])
		case r >= 0x300 && r <= 0x36f:
			// combining accents (decomposed text): dropped
		case r >= 0x2000 && r <= 0x200a:
			b.WriteByte(' ')
		case r >= 0xff01 && r <= 0xff5e:
			b.WriteRune(r - 0xfee0) // fullwidth ASCII forms
		case unicode.Is(unicode.Nd, r):
			b.WriteRune('0' + digitValue(r))
		default:
			if t, ok := punctuation[r]; ok {
				b.WriteString(t)
			} else {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

// formatLibelleToCode is LVAO's format_libelle_to_code:
// unidecode(text).strip().lower().
func formatLibelleToCode(s string) string { return pyLower(pyStrip(unidecode(s))) }
