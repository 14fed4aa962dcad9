package transform

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Opening hours as LVAO writes and shows them.

// reHoursWithH is how sources write times ("12h30"); OSM wants "12:30".
var reHoursWithH = regexp.MustCompile(`(` + reDigit + `{2})h(` + reDigit + `{2})`)

// ValidOpeningHours reports whether s parses as OSM opening_hours.
func ValidOpeningHours(s string) bool {
	_, err := parseOpeningHours(s)
	return err == nil
}

// CleanHorairesOSM is clean_horaires_osm: "HHhMM" rewritten "HH:MM", then the
// value must parse as OSM opening_hours, or it is an OpeningHoursWarning.
func CleanHorairesOSM(v Value, _ *SourceConfig) (Value, error) {
	if !v.Truthy() {
		return String(""), nil
	}
	s := reHoursWithH.ReplaceAllString(v.PyStr(), "$1:$2")
	if !ValidOpeningHours(s) {
		return Missing, newWarning(ExcOpeningHoursWarning, "Les horaires au format OSM n'ont pas pu être interprétés")
	}
	return String(s), nil
}

var frenchDays = [7]string{"lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"}

const closedThisDay = "Fermé"

// fullDay is 00:00-24:00, shown as 00:00 - 23:59 as LVAO shows "24/7".
var fullDay = ohSpan{0, 24 * 60}

// ConvertOpeningHours is convert_opening_hours: OSM opening hours as one
// French line per day, Monday first ("lundi: 09:00 - 12:00; 14:00 - 17:00",
// "dimanche: Fermé"); "" for an empty value.
//
// Rules are applied as OSM defines them: a rule after ";" replaces the
// hours of the days it names, one after "," adds to them, "off"/"closed"
// closes them; intervals that touch are merged. Selectors upstream cannot
// show either (months, weeks, holidays, nth weekday, sunrise/sunset, "||")
// are a ValueError, as upstream fails on them.
func ConvertOpeningHours(v Value, _ *SourceConfig) (Value, error) {
	if !v.Truthy() {
		return String(""), nil
	}
	rules, err := parseOpeningHours(v.PyStr())
	if err != nil {
		return Missing, newFatal("ParserError", "%v", err)
	}
	var week [7][]ohSpan
	for _, r := range rules {
		if r.complex || r.sep == '|' || r.modifier == "unknown" {
			return Missing, newFatal(ExcValueError, "Invalid interval: %s", v.PyStr())
		}
		spans := r.spans
		if r.always || spans == nil {
			spans = []ohSpan{fullDay}
		}
		if r.modifier == "closed" || r.modifier == "off" {
			spans = nil
		}
		for d := 0; d < 7; d++ {
			if r.days != nil && !r.days[d] {
				continue
			}
			if r.sep == ',' && spans != nil {
				week[d] = append(week[d], spans...)
			} else {
				week[d] = append([]ohSpan(nil), spans...)
			}
		}
	}
	lines := make([]string, 7)
	for d := range week {
		spans := mergeTouching(week[d])
		if len(spans) == 0 {
			lines[d] = frenchDays[d] + ": " + closedThisDay
			continue
		}
		parts := make([]string, len(spans))
		for i, s := range spans {
			parts[i] = hhmm(s.start) + " - " + hhmm(s.end)
		}
		lines[d] = frenchDays[d] + ": " + strings.Join(parts, "; ")
	}
	return String(strings.Join(lines, "\n")), nil
}

// mergeTouching sorts intervals and merges one that starts where the
// previous ends (upstream's merge_consecutive_tuples).
func mergeTouching(spans []ohSpan) []ohSpan {
	if len(spans) == 0 {
		return nil
	}
	s := append([]ohSpan(nil), spans...)
	sort.SliceStable(s, func(i, j int) bool { return s[i].start < s[j].start })
	out := []ohSpan{s[0]}
	for _, sp := range s[1:] {
		last := &out[len(out)-1]
		if last.end == sp.start {
			last.end = sp.end
		} else {
			out = append(out, sp)
		}
	}
	return out
}

// hhmm prints minutes as HH:MM; 24:00 is shown 23:59 (a time of day cannot
// be 24:00), later times wrap past midnight.
func hhmm(m int) string {
	if m == 24*60 {
		return "23:59"
	}
	m %= 24 * 60
	return fmt.Sprintf("%02d:%02d", m/60, m%60)
}
