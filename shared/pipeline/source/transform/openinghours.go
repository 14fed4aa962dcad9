package transform

import (
	"fmt"
	"regexp"
	"strings"
)

// Opening hours in the OpenStreetMap opening_hours syntax. LVAO validates
// them with the opening_hours library (a Rust parser): clean_horaires_osm
// keeps a value only if it parses. The parser below accepts the grammar of
// the OSM specification: rules separated by ";", "," or "||", each made of
// optional year, month/day, week, weekday/holiday and time selectors and an
// optional modifier (open, closed, off, unknown, "comment"). Whitespace
// around separators is tolerated.

var weekdayNames = [7]string{"Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"}

var monthNames = []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// ohSpan is an opening interval in minutes from midnight (end may pass
// 24:00 for extended times).
type ohSpan struct{ start, end int }

// ohRule is one parsed rule.
type ohRule struct {
	sep      byte     // 0 for the first rule, ';', ',' or '|' (for "||")
	always   bool     // "24/7"
	complex  bool     // year, month, week, holiday, nth weekday, offsets or variable times
	days     *[7]bool // nil: every day
	spans    []ohSpan // nil: no time selector
	modifier string   // "", "open", "closed", "off", "unknown"
}

type ohParser struct {
	s   string
	pos int
}

func (p *ohParser) eof() bool { return p.pos >= len(p.s) }

func (p *ohParser) ws() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t') {
		p.pos++
	}
}

func (p *ohParser) lit(t string) bool {
	if strings.HasPrefix(p.s[p.pos:], t) {
		p.pos += len(t)
		return true
	}
	return false
}

// digits reads between min and max ASCII digits.
func (p *ohParser) digits(min, max int) (int, bool) {
	n, v := 0, 0
	for p.pos+n < len(p.s) && n < max && isASCIIDigit(p.s[p.pos+n]) {
		v = v*10 + int(p.s[p.pos+n]-'0')
		n++
	}
	if n < min || (p.pos+n < len(p.s) && isASCIIDigit(p.s[p.pos+n])) {
		return 0, false
	}
	p.pos += n
	return v, true
}

// try runs f and rewinds when it fails.
func (p *ohParser) try(f func() bool) bool {
	save := p.pos
	if f() {
		return true
	}
	p.pos = save
	return false
}

// parseOpeningHours parses an opening_hours value.
func parseOpeningHours(s string) ([]ohRule, error) {
	p := &ohParser{s: s}
	var rules []ohRule
	sep := byte(0)
	for {
		p.ws()
		r, err := p.rule()
		if err != nil {
			return nil, err
		}
		r.sep = sep
		rules = append(rules, r)
		p.ws()
		switch {
		case p.eof():
			return rules, nil
		case p.lit("||"):
			sep = '|'
		case p.lit(";"):
			sep = ';'
			p.ws()
			if p.eof() { // a trailing ';' is harmless
				return rules, nil
			}
		case p.lit(","):
			sep = ','
		default:
			return nil, fmt.Errorf("unexpected %q at %d", p.s[p.pos:], p.pos)
		}
	}
}

func (p *ohParser) rule() (ohRule, error) {
	var r ohRule
	start := p.pos
	if p.lit("24/7") {
		r.always = true
	} else {
		wide := false
		if p.try(p.yearSelector) {
			wide = true
			p.ws()
		}
		if p.try(p.monthdaySelector) {
			wide = true
			p.ws()
		}
		if p.try(p.weekSelector) {
			wide = true
			p.ws()
		}
		if wide {
			r.complex = true
			if p.lit(":") {
				p.ws()
			}
		}
		p.try(func() bool { return p.weekdaySelector(&r) })
		p.ws()
		p.try(func() bool { return p.timeSelector(&r) })
	}
	p.ws()
	p.try(func() bool { return p.modifier(&r) })
	if p.pos == start {
		return r, fmt.Errorf("no selector at %d in %q", p.pos, p.s)
	}
	return r, nil
}

func (p *ohParser) year() bool {
	y, ok := p.digits(4, 4)
	return ok && y >= 1900
}

func (p *ohParser) yearSelector() bool {
	item := func() bool {
		if !p.year() {
			return false
		}
		if p.lit("+") {
			return true
		}
		p.try(func() bool {
			if !p.lit("-") || !p.year() {
				return false
			}
			p.try(p.period)
			return true
		})
		return true
	}
	return p.list(item) && !p.atWordChar()
}

// period is the "/n" step of a year or week range.
func (p *ohParser) period() bool {
	if !p.lit("/") {
		return false
	}
	_, ok := p.digits(1, 3)
	return ok
}

// list parses item {"," item}.
func (p *ohParser) list(item func() bool) bool {
	if !p.try(item) {
		return false
	}
	for p.try(func() bool { return p.lit(",") && p.try(item) }) {
	}
	return true
}

func (p *ohParser) atWordChar() bool {
	if p.eof() {
		return false
	}
	c := p.s[p.pos]
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isASCIIDigit(c) || c == ':'
}

func (p *ohParser) month() bool {
	for _, m := range monthNames {
		if p.lit(m) {
			return true
		}
	}
	return false
}

// date is [year " "] (month [" " day] | "easter") with optional day offset.
func (p *ohParser) date() bool {
	p.try(func() bool { ok := p.year(); p.ws(); return ok })
	if p.lit("easter") {
		p.try(p.dayOffset)
		return true
	}
	if !p.month() {
		return false
	}
	p.try(func() bool {
		p.ws()
		d, ok := p.digits(1, 2)
		return ok && d >= 1 && d <= 31 && !p.atWordChar()
	})
	p.try(p.dayOffset)
	return true
}

func (p *ohParser) monthdaySelector() bool {
	item := func() bool {
		if !p.date() {
			return false
		}
		if p.lit("+") {
			return true
		}
		p.try(func() bool {
			if !p.lit("-") {
				return false
			}
			if p.try(p.date) {
				return true
			}
			d, ok := p.digits(1, 2)
			return ok && d >= 1 && d <= 31 && !p.atWordChar()
		})
		return true
	}
	return p.list(item)
}

func (p *ohParser) weekSelector() bool {
	if !p.lit("week") {
		return false
	}
	p.ws()
	item := func() bool {
		w, ok := p.digits(1, 2)
		if !ok || w < 1 || w > 53 {
			return false
		}
		p.try(func() bool {
			if !p.lit("-") {
				return false
			}
			if w2, ok := p.digits(1, 2); !ok || w2 < 1 || w2 > 53 {
				return false
			}
			p.try(p.period)
			return true
		})
		return true
	}
	return p.list(item)
}

func (p *ohParser) weekday() (int, bool) {
	for i, d := range weekdayNames {
		if p.lit(d) {
			return i, true
		}
	}
	return 0, false
}

// dayOffset is " +2 days" / "-1 day".
func (p *ohParser) dayOffset() bool {
	p.ws()
	if !p.lit("+") && !p.lit("-") {
		return false
	}
	if _, ok := p.digits(1, 3); !ok {
		return false
	}
	p.ws()
	return p.lit("days") || p.lit("day")
}

// weekdaySelector parses weekday ranges and holidays ("Mo-Fr,PH",
// "Su[1,-1]") into r.days.
func (p *ohParser) weekdaySelector(r *ohRule) bool {
	var days [7]bool
	item := func() bool {
		if p.lit("PH") || p.lit("SH") {
			r.complex = true
			p.try(p.dayOffset)
			return true
		}
		d1, ok := p.weekday()
		if !ok {
			return false
		}
		if p.try(func() bool { return p.nth() }) {
			r.complex = true
			p.try(p.dayOffset)
			return true
		}
		d2 := d1
		p.try(func() bool {
			var ok bool
			if !p.lit("-") {
				return false
			}
			d2, ok = p.weekday()
			return ok
		})
		for d := d1; ; d = (d + 1) % 7 {
			days[d] = true
			if d == d2 {
				break
			}
		}
		return true
	}
	itemSep := func() bool { ok := p.lit(","); p.ws(); return ok }
	if !p.try(item) {
		return false
	}
	for p.try(func() bool { return itemSep() && p.try(item) }) {
	}
	if p.atWordChar() && !p.eof() && p.s[p.pos] != ':' {
		return false
	}
	r.days = &days
	return true
}

// nth is "[1,-1]" or "[1-2]" after a weekday.
func (p *ohParser) nth() bool {
	if !p.lit("[") {
		return false
	}
	entry := func() bool {
		neg := p.lit("-")
		n, ok := p.digits(1, 1)
		if !ok || n < 1 || n > 5 {
			return false
		}
		if !neg {
			p.try(func() bool {
				if !p.lit("-") {
					return false
				}
				m, ok := p.digits(1, 1)
				return ok && m >= 1 && m <= 5
			})
		}
		return true
	}
	return p.list(entry) && p.lit("]")
}

var ohEvents = []string{"dawn", "sunrise", "sunset", "dusk"}

// time reads "HH:MM" (hours up to maxHour) or a variable time; it returns
// minutes, or -1 for a variable time.
func (p *ohParser) time(maxHour int) (int, bool) {
	for _, e := range ohEvents {
		if p.lit(e) {
			return -1, true
		}
	}
	if p.try(func() bool {
		if !p.lit("(") {
			return false
		}
		ev := false
		for _, e := range ohEvents {
			if p.lit(e) {
				ev = true
				break
			}
		}
		if !ev || (!p.lit("+") && !p.lit("-")) {
			return false
		}
		_, ok := p.time(24)
		return ok && p.lit(")")
	}) {
		return -1, true
	}
	h, ok := p.digits(2, 2)
	if !ok || h > maxHour || !p.lit(":") {
		return 0, false
	}
	m, ok := p.digits(2, 2)
	if !ok || m > 59 {
		return 0, false
	}
	return h*60 + m, true
}

func (p *ohParser) timespan(r *ohRule) bool {
	start, ok := p.time(24)
	if !ok {
		return false
	}
	end := start
	if p.lit("+") {
		r.complex = true
		end = 48 * 60
	} else if p.try(func() bool {
		var ok bool
		if !p.lit("-") {
			return false
		}
		end, ok = p.time(48)
		return ok
	}) {
		if p.lit("+") || p.try(func() bool {
			if !p.lit("/") {
				return false
			}
			if p.try(func() bool { _, ok := p.time(24); return ok }) {
				return true
			}
			_, ok := p.digits(1, 3)
			return ok
		}) {
			r.complex = true
		}
	}
	if start < 0 || end < 0 {
		r.complex = true
	}
	r.spans = append(r.spans, ohSpan{start, end})
	return true
}

func (p *ohParser) timeSelector(r *ohRule) bool {
	if !p.try(func() bool { return p.timespan(r) }) {
		return false
	}
	for p.try(func() bool {
		if !p.lit(",") {
			return false
		}
		p.ws()
		return p.timespan(r)
	}) {
	}
	return true
}

var reComment = regexp.MustCompile(`^"[^"]*"`)

func (p *ohParser) comment() bool {
	m := reComment.FindString(p.s[p.pos:])
	p.pos += len(m)
	return m != ""
}

func (p *ohParser) modifier(r *ohRule) bool {
	for _, m := range []string{"open", "closed", "off", "unknown"} {
		if p.try(func() bool { return p.lit(m) && !p.atWordChar() }) {
			r.modifier = m
			p.try(func() bool { p.ws(); return p.comment() })
			return true
		}
	}
	return p.comment()
}
