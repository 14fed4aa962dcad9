package transform

// Python text semantics that the LVAO transforms rely on. Go's strings and
// regexp packages differ from Python in small ways (what is whitespace, what
// \d and \s match, how a float prints); the helpers here follow Python so
// that results match the upstream code on real-world data (non-breaking
// spaces are common in French addresses and phone numbers).

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// reSpace is Python's \s for str patterns, for use inside a regexp class.
const reSpace = `\t\n\v\f\r \x{1c}-\x{1f}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}`

// reDigit is Python's \d for str patterns (any Unicode decimal digit).
const reDigit = `\p{Nd}`

// pyIsSpace is Python's str.isspace for one character.
func pyIsSpace(r rune) bool {
	switch {
	case r == ' ' || (r >= '\t' && r <= '\r') || (r >= 0x1c && r <= 0x1f):
		return true
	case r < 0x85:
		return false
	case r == 0x85 || r == 0xa0 || r == 0x1680 || (r >= 0x2000 && r <= 0x200a),
		r == 0x2028 || r == 0x2029 || r == 0x202f || r == 0x205f || r == 0x3000:
		return true
	}
	return false
}

// pyStrip is Python's str.strip() without arguments.
func pyStrip(s string) string { return strings.TrimFunc(s, pyIsSpace) }

// pyStripChars is Python's str.strip(chars).
func pyStripChars(s, chars string) string { return strings.Trim(s, chars) }

// pyLower is Python's str.lower().
func pyLower(s string) string { return strings.ToLower(s) }

// pyFields is Python's str.split() without arguments.
func pyFields(s string) []string { return strings.FieldsFunc(s, pyIsSpace) }

// pyLen is Python's len() of a str: code points, not bytes.
func pyLen(s string) int { return utf8.RuneCountInString(s) }

func isCased(r rune) bool { return unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r) }

// pyTitle is Python's str.title(): a letter following a cased letter is
// lower-cased, any other letter is title-cased ("l'isle-adam" gives
// "L'Isle-Adam", "2ème" gives "2Ème").
func pyTitle(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	prevCased := false
	for _, r := range s {
		if prevCased {
			b.WriteRune(unicode.ToLower(r))
		} else {
			b.WriteRune(unicode.ToTitle(r))
		}
		prevCased = isCased(r)
	}
	return b.String()
}

// pyFloatRepr is Python's repr() of a float: the shortest text that reads
// back, always with a '.0' or an exponent, scientific from 1e16 up and below
// 1e-4.
func pyFloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	exp := int(math.Floor(math.Log10(math.Abs(f))))
	// Log10 can be off by one near powers of ten: check with the real digits.
	e := strconv.FormatFloat(f, 'e', -1, 64)
	if i := strings.LastIndexByte(e, 'e'); i >= 0 {
		if n, err := strconv.Atoi(e[i+1:]); err == nil {
			exp = n
		}
	}
	if exp < -4 || exp >= 16 {
		mant, ex, _ := strings.Cut(e, "e")
		sign := ex[0]
		digits := strings.TrimLeft(ex[1:], "0")
		if len(digits) < 2 {
			digits = strings.Repeat("0", 2-len(digits)) + digits
		}
		return mant + "e" + string(sign) + digits
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsRune(s, '.') {
		s += ".0"
	}
	return s
}

// parsePyFloat is Python's float(str): surrounding whitespace allowed,
// underscores between digits allowed, "inf"/"nan"/"infinity" in any case,
// no hexadecimal.
func parsePyFloat(s string) (float64, bool) {
	s = pyStrip(s)
	if s == "" {
		return 0, false
	}
	body := strings.TrimLeft(s, "+-")
	if len(s)-len(body) > 1 {
		return 0, false
	}
	if strings.HasPrefix(body, "0x") || strings.HasPrefix(body, "0X") {
		return 0, false
	}
	if strings.ContainsRune(s, '_') {
		var ok bool
		if s, ok = dropDigitUnderscores(s); !ok {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(asciiDigits(s), 64)
	if err != nil {
		// Python accepts values that overflow (they become inf); Go reports
		// ErrRange with ±Inf.
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, true
		}
		return 0, false
	}
	return f, true
}

// dropDigitUnderscores removes '_' found between two ASCII digits, as Python
// number literals allow; any other '_' makes the text invalid.
func dropDigitUnderscores(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '_' {
			if i == 0 || i == len(s)-1 || !isASCIIDigit(s[i-1]) || !isASCIIDigit(s[i+1]) {
				return "", false
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String(), true
}

func isASCIIDigit(c byte) bool { return c >= '0' && c <= '9' }

// parsePyInt is Python's int() on a cell: an int, a float (truncated), a
// bool or a str of base-10 digits with optional sign and surrounding spaces.
func parsePyInt(v Value) (int64, bool) {
	switch v.Kind() {
	case KindInt, KindBool:
		return v.int(), true
	case KindFloat:
		if f := v.float(); math.IsInf(f, 0) || math.IsNaN(f) {
			return 0, false
		}
		return int64(v.float()), true
	case KindString:
		s := pyStrip(v.str)
		if strings.ContainsRune(s, '_') {
			var ok bool
			if s, ok = dropDigitUnderscores(s); !ok {
				return 0, false
			}
		}
		s = asciiDigits(s)
		i, err := strconv.ParseInt(s, 10, 64)
		return i, err == nil
	}
	return 0, false
}

// asciiDigits replaces Unicode decimal digits by ASCII ones, as Python's
// int() reads them.
func asciiDigits(s string) string {
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
	return strings.Map(func(r rune) rune {
		if r >= utf8.RuneSelf && unicode.Is(unicode.Nd, r) {
			return '0' + digitValue(r)
		}
		return r
	}, s)
}

// digitValue returns the value of a Unicode decimal digit. Nd characters
// come in runs of whole blocks of ten (0 to 9), so the offset from the start
// of the run, modulo 10, is the value.
func digitValue(r rune) rune {
	start := r
	for unicode.Is(unicode.Nd, start-1) {
		start--
	}
	return (r - start) % 10
}
