package transform

import (
	"strings"
	"unicode"
)

// Numbers written by people: SIRET/SIREN, postal codes and phone numbers.
// All go through clean_number, which keeps digits and '+'.

// CleanNumber is clean_number: "" for a missing value; otherwise str(value)
// without a trailing ".0" (a number read as a float by pandas), then every
// character that is neither a digit nor '+' removed.
func CleanNumber(v Value) string {
	if v.IsMissing() {
		return ""
	}
	s := v.PyStr()
	// re.sub(r"\.0$", "", s): Python's $ also matches before a final "\n".
	if strings.HasSuffix(s, ".0") {
		s = s[:len(s)-2]
	} else if strings.HasSuffix(s, ".0\n") {
		s = s[:len(s)-3] + "\n"
	}
	return strings.Map(func(r rune) rune {
		if r == '+' || unicode.Is(unicode.Nd, r) {
			return r
		}
		return -1
	}, s)
}

// CleanSiren is clean_siren: 9 digits, or a SirenWarning.
func CleanSiren(v Value) (string, error) {
	siren := CleanNumber(v)
	if siren == "" {
		return "", nil
	}
	if pyLen(siren) == 9 {
		return siren, nil
	}
	return "", newWarning(ExcSirenWarning, "Le numéro de SIREN n'a pas pu être interprété : `%s`", siren)
}

// CleanSiret is clean_siret: 14 digits kept, 13 digits get back the leading
// zero a spreadsheet dropped, 9 digits (a SIREN given as SIRET) kept; any
// other length is a SiretWarning.
func CleanSiret(v Value) (string, error) {
	siret := CleanNumber(v)
	if siret == "" {
		return "", nil
	}
	switch pyLen(siret) {
	case 9, 14:
		return siret, nil
	case 13:
		return "0" + siret, nil
	}
	return "", newWarning(ExcSiretWarning, "Le numéro de SIRET n'a pas pu être interprété : `%s`", siret)
}

// CleanSiretAndSiren is the dataframe transform clean_siret_and_siren
// (origin [siret, siren] or [siret]; destination [siret, siren]): the SIREN,
// when not given, is the first 9 characters of the SIRET.
func CleanSiretAndSiren(in Row, _ *SourceConfig) (Row, error) {
	siret := ""
	if v, ok := in.Lookup("siret"); ok {
		var err error
		if siret, err = CleanSiret(v); err != nil {
			return Row{}, err
		}
	}
	siren := ""
	if v, ok := in.Lookup("siren"); ok && v.Truthy() {
		var err error
		if siren, err = CleanSiren(v); err != nil {
			return Row{}, err
		}
	} else {
		siren = firstRunes(siret, 9)
	}
	return NewRow(Field{"siret", String(siret)}, Field{"siren", String(siren)}), nil
}

// firstRunes is Python's s[:n].
func firstRunes(s string, n int) string {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

// CleanCodePostal is clean_code_postal: a 4-digit code gets back the leading
// zero a spreadsheet dropped ("7501" gives "07501"); anything but 5
// characters after that is a CodePostalWarning.
func CleanCodePostal(v Value, _ *SourceConfig) (Value, error) {
	if !v.Truthy() {
		return String(""), nil
	}
	cp := CleanNumber(v)
	if cp != "" && pyLen(cp) == 4 {
		cp = "0" + cp
	}
	if pyLen(cp) != 5 {
		return Missing, newWarning(ExcCodePostalWarning, "Le code postal n'a pas pu être interprété : `%s`", v.PyStr())
	}
	return String(cp), nil
}

// CleanTelephone is the dataframe transform clean_telephone (origin
// [<phone column>, code_postal], destination [telephone]); the phone is
// read from the first origin column.
//
// A 9-digit number in metropolitan France (code_postal below 96000) lost its
// leading 0 in a spreadsheet and gets it back; a leading "33" (country code
// without '+') becomes "0". Fewer than 6 characters is a TelephoneWarning.
// A non-numeric code_postal is a ValueError (Python's int() fails), which
// fails the task.
func CleanTelephone(in Row, _ *SourceConfig) (Row, error) {
	out := func(s string) Row { return NewRow(Field{"telephone", String(s)}) }
	if in.Len() == 0 {
		return Row{}, newFatal(ExcKeyError, "clean_telephone needs the phone column")
	}
	raw := in.Fields()[0].Value
	number := CleanNumber(raw)
	if number == "" {
		return out(""), nil
	}
	if pyLen(number) == 9 {
		cp, ok := in.Lookup("code_postal")
		if !ok {
			return Row{}, newFatal(ExcKeyError, "'code_postal'")
		}
		if cp.Truthy() {
			n, ok := parsePyInt(cp)
			if !ok {
				return Row{}, newFatal(ExcValueError, "invalid literal for int() with base 10: %s", cp.pyRepr())
			}
			if n < 96000 {
				number = "0" + number
			}
		}
	}
	if strings.HasPrefix(number, "33") {
		number = "0" + number[2:]
	}
	if pyLen(number) < 6 {
		return Row{}, newWarning(ExcTelephoneWarning, "Le numéro de téléphone n'a pas pu être déduit : %s", raw.PyStr())
	}
	return out(number), nil
}
