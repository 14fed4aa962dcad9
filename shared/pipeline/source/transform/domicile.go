package transform

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Where an acteur serves (lieu_prestation) and, for home services, the area
// it covers (perimetre_adomicile).

// LieuPrestation values (qfdmo Acteur.LieuPrestation).
const (
	LieuADomicile           = "A_DOMICILE"
	LieuSurPlace            = "SUR_PLACE"
	LieuSurPlaceOuADomicile = "SUR_PLACE_OU_A_DOMICILE"
)

// PerimetreADomicile types.
const (
	PerimetreKilometrique         = "KILOMETRIQUE"
	PerimetreDepartemental        = "DEPARTEMENTAL"
	PerimetreFranceMetropolitaine = "FRANCE_METROPOLITAINE"
	PerimetreDromTom              = "DROM_TOM"
)

// The patterns are matched at the start of the text only (Python re.match);
// the "home only" ones are tried first, so "OUI EXCLUSIVEMENT" is not read as
// "OUI".
var (
	reADomicile = []*regexp.Regexp{
		regexp.MustCompile(`^SERVICE[` + reSpace + `]*A[` + reSpace + `]*DOMICILE[` + reSpace + `]*UNIQUEMENT`),
		regexp.MustCompile(`^OUI[` + reSpace + `]*EXCLUSIVEMENT`),
	}
	reSurPlaceOuADomicile = []*regexp.Regexp{
		regexp.MustCompile(`^OUI`),
		regexp.MustCompile(`^SERVICE[` + reSpace + `]*A[` + reSpace + `]*DOMICILE[` + reSpace + `]*ET[` + reSpace + `]*EN[` + reSpace + `]*BOUTIQUE`),
	}
	reKilometres    = regexp.MustCompile(`^(` + reDigit + `+)[` + reSpace + `]*KM`)
	reDepartement   = regexp.MustCompile(`^(` + reDigit + `{1,3}|2A|2B)$`)
	reFranceMetro   = regexp.MustCompile(`^FRANCE[` + reSpace + `]*METROPOLITAINE$`)
	reDromTom       = regexp.MustCompile(`^DROM[` + reSpace + `]*TOM$`)
	reFranceDromTom = regexp.MustCompile(`^FRANCE[` + reSpace + `]*METROPOLITAINE[` + reSpace + `]*Y[` + reSpace + `]*COMPRIS[` + reSpace + `]*DROM[` + reSpace + `]*TOM$`)
)

func sanitizeDomicile(s string) string { return pyStrip(strings.ToUpper(unidecode(s))) }

func matchAny(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// LieuPrestation reads the source's service_a_domicile text.
func LieuPrestation(serviceADomicile string) string {
	s := sanitizeDomicile(serviceADomicile)
	switch {
	case matchAny(reADomicile, s):
		return LieuADomicile
	case matchAny(reSurPlaceOuADomicile, s):
		return LieuSurPlaceOuADomicile
	}
	return LieuSurPlace
}

type perimetre struct{ typ, valeur string }

// PerimetresADomicile reads the '|'-separated perimetre_dintervention: "10 km"
// (KILOMETRIQUE "10"), a département "1"…"978", "2A", "2B" (DEPARTEMENTAL,
// one digit padded to "01"), "France métropolitaine", "DROM TOM", or
// "France métropolitaine y compris DROM TOM" (both). Unknown parts are
// ignored. The result is sorted by (type, valeur).
func PerimetresADomicile(text string) Value {
	var ps []perimetre
	for _, part := range strings.Split(text, "|") {
		p := sanitizeDomicile(part)
		if m := reKilometres.FindStringSubmatch(p); m != nil {
			n, err := strconv.ParseInt(asciiDigits(m[1]), 10, 64)
			if err != nil {
				continue
			}
			ps = append(ps, perimetre{PerimetreKilometrique, strconv.FormatInt(n, 10)})
		} else if m := reDepartement.FindStringSubmatch(p); m != nil {
			d := m[1]
			if pyLen(d) == 1 {
				d = "0" + d
			}
			ps = append(ps, perimetre{PerimetreDepartemental, d})
		} else if reFranceMetro.MatchString(p) {
			ps = append(ps, perimetre{PerimetreFranceMetropolitaine, ""})
		} else if reDromTom.MatchString(p) {
			ps = append(ps, perimetre{PerimetreDromTom, ""})
		} else if reFranceDromTom.MatchString(p) {
			ps = append(ps, perimetre{PerimetreFranceMetropolitaine, ""}, perimetre{PerimetreDromTom, ""})
		}
	}
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].typ != ps[j].typ {
			return ps[i].typ < ps[j].typ
		}
		return ps[i].valeur < ps[j].valeur
	})
	out := make([]Value, len(ps))
	for i, p := range ps {
		out[i] = Object(NewRow(Field{"type", String(p.typ)}, Field{"valeur", String(p.valeur)}))
	}
	return List(out...)
}

// CleanServiceADomicile is the dataframe transform clean_service_a_domicile
// (origin [service_a_domicile, perimetre_dintervention]; destination
// [lieu_prestation, perimetre_adomicile_codes]). The perimetre is read only
// for acteurs that serve at home.
func CleanServiceADomicile(in Row, _ *SourceConfig) (Row, error) {
	lieu := LieuPrestation(textOf(in.Get("service_a_domicile")))
	codes := List()
	if lieu == LieuADomicile || lieu == LieuSurPlaceOuADomicile {
		codes = PerimetresADomicile(textOf(in.Get("perimetre_dintervention")))
	}
	return NewRow(Field{"lieu_prestation", String(lieu)}, Field{"perimetre_adomicile_codes", codes}), nil
}

// textOf is the text of a cell, "" when missing (upstream cells are never
// None by then: nulls became "" first).
func textOf(v Value) string {
	if v.IsMissing() {
		return ""
	}
	return v.PyStr()
}
