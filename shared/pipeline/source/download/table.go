package download

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
)

// The file modes (pharmacies CSV, S3 xlsx) give text cells. pandas'
// read_csv / read_excel then typed each column from all its cells, and the
// download task cast the numeric columns to strings (non_string_columns).
// A file can be read twice, so the typing is exact: a first pass looks at
// every cell of every column, the second sends the typed rows.

// records is one pass over a table: the header, then the data lines.
type records interface {
	// Next returns the next line's cells, io.EOF after the last one.
	Next() ([]string, error)
	Close() error
}

type tableOptions struct {
	what string // the file, for messages
	// widen: a line wider than the header adds unnamed columns (read_excel);
	// otherwise it is skipped with a warning (read_csv on_bad_lines="warn").
	widen bool
}

// naValues is pandas' STR_NA_VALUES: cells read as NaN (then None).
var naValues = map[string]bool{
	"": true, "#N/A": true, "#N/A N/A": true, "#NA": true, "-1.#IND": true, "-1.#QNAN": true,
	"-NaN": true, "-nan": true, "1.#IND": true, "1.#QNAN": true, "<NA>": true, "N/A": true,
	"NA": true, "NULL": true, "NaN": true, "None": true, "n/a": true, "nan": true, "null": true,
}

var (
	trueValues  = map[string]bool{"True": true, "TRUE": true, "true": true}
	falseValues = map[string]bool{"False": true, "FALSE": true, "false": true}
)

// colKind is the dtype pandas gave a column, and what the download task
// made of it.
type colKind uint8

const (
	kindText    colKind = iota // object: cells kept as strings
	kindAllNA                  // every cell NaN: None everywhere
	kindInt                    // int64: cast to str ("007" gives "7")
	kindFloat                  // float64: cast to str ("1.50" gives "1.5")
	kindFloatNA                // numbers with NaN: object after NaN→None, kept as floats
	kindBool                   // bool (with NaN: object of bools and None)
)

type colStats struct{ na, notNA, ints, floats, bools int }

func (c *colStats) add(cell string) {
	if naValues[cell] {
		c.na++
		return
	}
	c.notNA++
	if _, ok := parseInt(cell); ok {
		c.ints++
	}
	if _, ok := parseFloat(cell); ok {
		c.floats++
	}
	if trueValues[cell] || falseValues[cell] {
		c.bools++
	}
}

func (c *colStats) kind() colKind {
	switch {
	case c.notNA == 0:
		return kindAllNA
	case c.ints == c.notNA && c.na == 0:
		return kindInt
	case c.floats == c.notNA && c.na == 0:
		return kindFloat
	case c.floats == c.notNA:
		return kindFloatNA
	case c.bools == c.notNA:
		return kindBool
	}
	return kindText
}

// cellValue is a cell of a column of kind k, as the download task left it.
func cellValue(k colKind, cell string) transform.Value {
	if naValues[cell] {
		return transform.Missing
	}
	switch k {
	case kindInt:
		if i, ok := parseInt(cell); ok {
			return transform.String(strconv.FormatInt(i, 10))
		}
	case kindFloat:
		if f, ok := parseFloat(cell); ok {
			return transform.String(transform.Float(f).PyStr())
		}
	case kindFloatNA:
		if f, ok := parseFloat(cell); ok {
			return transform.Float(f)
		}
	case kindBool:
		return transform.Bool(trueValues[cell])
	}
	return transform.String(cell)
}

// parseInt accepts what pandas reads as an integer: optional sign, digits,
// surrounding blanks.
func parseInt(s string) (int64, bool) {
	s = strings.Trim(s, " \t")
	digits := strings.TrimLeft(s, "+-")
	if len(s)-len(digits) > 1 || digits == "" || strings.Trim(digits, "0123456789") != "" {
		return 0, false
	}
	i, err := strconv.ParseInt(s, 10, 64)
	return i, err == nil
}

// parseFloat accepts a decimal number (with exponent) or inf/infinity; not
// Go's hexadecimal floats nor underscores.
func parseFloat(s string) (float64, bool) {
	s = strings.Trim(s, " \t")
	body := strings.TrimLeft(s, "+-")
	if len(s)-len(body) > 1 || body == "" {
		return 0, false
	}
	switch strings.ToLower(body) {
	case "inf", "infinity":
	default:
		mant, exp, hasExp := strings.Cut(strings.ToLower(body), "e")
		intPart, frac, _ := strings.Cut(mant, ".")
		if intPart+frac == "" || strings.Trim(intPart+frac, "0123456789") != "" {
			return 0, false
		}
		if hasExp {
			e := strings.TrimLeft(exp, "+-")
			if len(exp)-len(e) > 1 || e == "" || strings.Trim(e, "0123456789") != "" {
				return 0, false
			}
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	return f, true
}

// columnNames is pandas' header handling: an empty name is "Unnamed: i",
// a repeated one gets ".1", ".2"… (_dedup_names).
func columnNames(header []string) []string {
	names := make([]string, len(header))
	counts := map[string]int{}
	for i, col := range header {
		if col == "" {
			col = fmt.Sprintf("Unnamed: %d", i)
		}
		cur := counts[col]
		for cur > 0 {
			counts[col] = cur + 1
			col = fmt.Sprintf("%s.%d", col, cur)
			cur = counts[col]
		}
		names[i] = col
		counts[col] = cur + 1
	}
	return names
}

func blank(cells []string) bool {
	for _, c := range cells {
		if c != "" {
			return false
		}
	}
	return true
}

// nextLine returns the next non-blank line.
func nextLine(r records) ([]string, error) {
	for {
		cells, err := r.Next()
		if err != nil || !blank(cells) {
			return cells, err
		}
	}
}

// readTable types the table with a first pass, then sends its rows.
func (d *downloader) readTable(open func() (records, error), opt tableOptions) error {
	kinds, names, err := d.scanTable(open, opt)
	if err != nil {
		return err
	}
	if err := checkRequired(d.cfg.RequiredColumns, names); err != nil {
		return fmt.Errorf("error reading %s: %w", opt.what, err)
	}
	r, err := open()
	if err != nil {
		return err
	}
	defer r.Close()
	if _, err := nextLine(r); err != nil { // the header
		return fmt.Errorf("error reading %s: %w", opt.what, err)
	}
	for {
		cells, err := nextLine(r)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("error reading %s: %w", opt.what, err)
		}
		if len(cells) > len(names) {
			continue // counted and logged by scanTable
		}
		fields := make([]transform.Field, len(names))
		for i, name := range names {
			cell := ""
			if i < len(cells) {
				cell = cells[i]
			}
			fields[i] = transform.Field{Name: name, Value: cellValue(kinds[i], cell)}
		}
		if err := d.em.emit(transform.NewRow(fields...)); err != nil {
			return err
		}
	}
}

// scanTable is the first pass: the header and the kind of every column.
func (d *downloader) scanTable(open func() (records, error), opt tableOptions) ([]colKind, []string, error) {
	r, err := open()
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	header, err := nextLine(r)
	if err == io.EOF {
		return nil, nil, fmt.Errorf("error reading %s: %w: the file has no header line", opt.what, ErrNoData)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("error reading %s: %w", opt.what, err)
	}
	header = append([]string(nil), header...)
	stats := make([]colStats, len(header))
	lines := 0
	for {
		cells, err := nextLine(r)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("error reading %s: %w", opt.what, err)
		}
		if len(cells) > len(stats) {
			if !opt.widen {
				d.stats.SkippedLines++
				d.log.Warn("download: line skipped: more fields than the header",
					"file", opt.what, "data_line", lines+int(d.stats.SkippedLines), "fields", len(cells),
					"expected", len(header))
				continue
			}
			for len(stats) < len(cells) {
				stats = append(stats, colStats{na: lines})
				header = append(header, "")
			}
		}
		for i := range stats {
			cell := ""
			if i < len(cells) {
				cell = cells[i]
			}
			stats[i].add(cell)
		}
		lines++
	}
	kinds := make([]colKind, len(stats))
	for i := range stats {
		kinds[i] = stats[i].kind()
	}
	return kinds, columnNames(header), nil
}
