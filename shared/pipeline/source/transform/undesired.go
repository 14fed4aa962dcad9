package transform

import (
	"hash/maphash"
	"sort"
	"strconv"
)

// UndesiredLines is RemoveUndesiredLines over a stream, in two passes, so
// that a source of 10^5–10^6 rows is never held whole: the first pass
// (Observe) keeps a few bytes per row (its group on identifiant_unique and
// whether it has a sous_categorie and a location) and the columns; the
// second (a Filter, over the same rows in the same order) decides each
// row's fate from them. Only the rows of a duplicated identifiant_unique,
// which are merged, are held until the end (Finish). When nothing would be
// dropped or merged (Changes is false), the rows go out as they came and
// the second pass can be skipped.
type UndesiredLines struct {
	cols    []string
	colSeen map[string]bool
	// groupOf holds a 128-bit hash of each identifiant_unique rather than
	// the id itself: half the memory per row at 10⁶ rows, and a collision
	// (two ids taken for one, ~n²/2¹²⁹) is far less likely than a
	// hardware fault.
	groupOf  map[idHash]int32
	seeds    [2]maphash.Seed
	groups   []groupNote
	notes    []rowNote
	finished bool
}

type groupNote struct {
	size    int32
	missing bool // the identifiant_unique is missing
}

type rowNote struct {
	group int32
	flags uint8
}

const (
	flagHasSousCategorie uint8 = 1 << iota
	flagLacksLocation
)

// NewUndesiredLines starts the first pass.
func NewUndesiredLines() *UndesiredLines {
	return &UndesiredLines{colSeen: map[string]bool{}, groupOf: map[idHash]int32{},
		seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}}
}

type idHash [2]uint64

// key is the map key of a row's identifiant_unique (its valueKey).
func (u *UndesiredLines) key(id Value) idHash {
	k := valueKey(id)
	return idHash{maphash.String(u.seeds[0], k), maphash.String(u.seeds[1], k)}
}

// Observe notes the next row of the first pass.
func (u *UndesiredLines) Observe(r Row) {
	for _, f := range r.fields {
		if !u.colSeen[f.Name] {
			u.colSeen[f.Name] = true
			u.cols = append(u.cols, f.Name)
		}
	}
	id := r.Get("identifiant_unique")
	k := u.key(id)
	g, ok := u.groupOf[k]
	if !ok {
		g = int32(len(u.groups))
		u.groupOf[k] = g
		u.groups = append(u.groups, groupNote{missing: id.IsMissing()})
	}
	u.groups[g].size++
	u.notes = append(u.notes, rowNote{group: g, flags: rowFlags(r)})
}

func rowFlags(r Row) uint8 {
	var f uint8
	if HasSousCategorie(r) {
		f |= flagHasSousCategorie
	}
	if LacksLocation(r) {
		f |= flagLacksLocation
	}
	return f
}

// Rows is the number of rows observed.
func (u *UndesiredLines) Rows() int { return len(u.notes) }

func (u *UndesiredLines) has(c string) bool { return u.colSeen[c] }

func (u *UndesiredLines) merges() bool {
	return u.has("label_codes") && u.has("acteur_service_codes") && u.has("proposition_service_codes")
}

// Changes reports whether the second pass would drop or merge any row.
func (u *UndesiredLines) Changes() bool {
	f := u.Filter()
	for i := range u.notes {
		if f.Route(i) != Keep {
			return true
		}
	}
	return false
}

// Route is what the second pass does with a row.
type Route int

const (
	// Keep writes the row out now, unchanged.
	Keep Route = iota
	// Drop leaves it out.
	Drop
	// Hold gives it to Filter.Hold: it is merged with the rows of its
	// identifiant_unique at the end.
	Hold
)

// Filter is the second pass.
type Filter struct {
	u                      *UndesiredLines
	merge                  bool
	seen                   []bool
	held                   map[int32][]Row
	heldOrder              []int32
	noSousCategorie, dupes int
	noLocation             int
}

// Filter starts a second pass over the observed rows.
func (u *UndesiredLines) Filter() *Filter {
	return &Filter{u: u, merge: u.merges(), seen: make([]bool, len(u.groups)), held: map[int32][]Row{}}
}

// Route decides the fate of the i-th observed row.
func (f *Filter) Route(i int) Route {
	n := f.u.notes[i]
	if f.merge {
		if g := f.u.groups[n.group]; g.size > 1 {
			if g.missing {
				// pandas' groupby drops missing keys: the rows disappear.
				return Drop
			}
			return Hold
		}
	}
	return f.check(n.group, n.flags)
}

// check applies the row filters after the merge, in their order.
func (f *Filter) check(group int32, flags uint8) Route {
	u := f.u
	if u.has("sous_categorie_codes") && flags&flagHasSousCategorie == 0 {
		f.noSousCategorie++
		return Drop
	}
	if u.has("identifiant_unique") {
		if f.seen[group] {
			f.dupes++
			return Drop
		}
		f.seen[group] = true
	}
	if u.has("location") && u.has("acteur_type_code") && flags&flagLacksLocation != 0 {
		f.noLocation++
		return Drop
	}
	return Keep
}

// Hold keeps the i-th row, routed Hold, for its merge.
func (f *Filter) Hold(i int, r Row) {
	g := f.u.notes[i].group
	if _, ok := f.held[g]; !ok {
		f.heldOrder = append(f.heldOrder, g)
	}
	f.held[g] = append(f.held[g], r)
}

// Finish merges the held rows and returns those kept, to write after the
// rows routed Keep, and the metadata counting the rows dropped.
func (f *Filter) Finish() ([]Row, map[string]string) {
	var merged []Row
	for _, g := range f.heldOrder {
		merged = append(merged, mergeGroup(f.held[g], f.u.cols, "identifiant_unique",
			[]string{"label_codes", "acteur_service_codes"}, []string{"proposition_service_codes"}))
	}
	f.held = nil
	sort.SliceStable(merged, func(i, j int) bool {
		return compareValues(merged[i].Get("identifiant_unique"), merged[j].Get("identifiant_unique")) < 0
	})
	kept := merged[:0]
	for _, r := range merged {
		g := f.u.groupOf[f.u.key(r.Get("identifiant_unique"))]
		if f.check(g, rowFlags(r)) == Keep {
			kept = append(kept, r)
		}
	}
	meta := map[string]string{}
	for k, n := range map[string]int{MetadataNoSousCategorieFiltered: f.noSousCategorie,
		MetadataDuplicatesFiltered: f.dupes, MetadataNoLocationFiltered: f.noLocation} {
		if n > 0 {
			meta[k] = strconv.Itoa(n)
		}
	}
	return kept, meta
}
