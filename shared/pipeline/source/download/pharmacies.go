package download

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/text/encoding/unicode"
)

// Constants of constants.download.pharmacies_zip_csv.
const (
	pharmaciesMember = "etablissements"
	pharmaciesComma  = ';'
)

// pharmacies is constants.download.pharmacies_zip_csv: a ZIP whose first
// member named like "etablissements" is a ';'-separated UTF-16-LE CSV. The
// ZIP goes to a temporary file (it can be large; the function's disk is
// 1 GiB), the member is read as a stream, twice (see table.go).
func (d *downloader) pharmacies(ctx context.Context) error {
	u := d.cfg.Endpoint
	tmp, err := os.CreateTemp(d.cfg.TempDir, "lvao-download-*.zip")
	if err != nil {
		return fmt.Errorf("error creating a temporary file: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()

	var size int64
	err = d.http.get(ctx, u, func(body io.Reader) error {
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			return err
		}
		if err := tmp.Truncate(0); err != nil {
			return err
		}
		n, err := io.Copy(tmp, body)
		size = n
		if err != nil {
			return fmt.Errorf("error saving %s to %s: %w", u, tmp.Name(), err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	d.stats.Pages++
	d.log.Info("download: file saved", "url", u, "bytes", size)

	zr, err := zip.NewReader(tmp, size)
	if err != nil {
		return fmt.Errorf("%w from %s: not a ZIP archive: %v", ErrUnexpectedResponse, u, err)
	}
	var member *zip.File
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if member == nil && strings.Contains(f.Name, pharmaciesMember) {
			member = f
		}
	}
	if member == nil {
		return fmt.Errorf("%w from %s: no member named like %q in the ZIP (members: %q)",
			ErrUnexpectedResponse, u, pharmaciesMember, names)
	}
	what := fmt.Sprintf("%s of %s", member.Name, u)
	open := func() (records, error) {
		rc, err := member.Open()
		if err != nil {
			return nil, fmt.Errorf("error opening %s: %w", what, err)
		}
		r, err := newUTF16CSV(rc, what)
		if err != nil {
			rc.Close()
			return nil, err
		}
		return r, nil
	}
	return d.readTable(open, tableOptions{what: what})
}

// utf16CSV reads a ';'-separated UTF-16-LE CSV as pandas' read_csv does:
// a leading BOM is dropped, quotes are lenient, blank lines are skipped.
type utf16CSV struct {
	rc  io.Closer
	csv *csv.Reader
}

func newUTF16CSV(rc io.ReadCloser, what string) (*utf16CSV, error) {
	br := bufio.NewReaderSize(rc, 64<<10)
	sample, err := br.Peek(4096)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, fmt.Errorf("error reading %s: %w", what, err)
	}
	if err := checkUTF16LE(sample, err == io.EOF); err != nil {
		return nil, fmt.Errorf("error reading %s: %w", what, err)
	}
	// UseBOM drops a leading FF FE; without one the text is little-endian.
	text := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder().Reader(&evenBytes{r: br})
	r := csv.NewReader(text)
	r.Comma = pharmaciesComma
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = true
	return &utf16CSV{rc: rc, csv: r}, nil
}

// evenBytes fails a UTF-16 stream that ends with half a code unit, as
// Python's utf-16-le codec does ("truncated data"): the decoder would turn
// the lone byte into U+FFFD, a line of its own, and that line typed every
// numeric column as float ("75002.0").
type evenBytes struct {
	r io.Reader
	n int64
}

func (e *evenBytes) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	e.n += int64(n)
	if err == io.EOF && e.n%2 == 1 {
		return n, fmt.Errorf("%w: it ends with half a character (%d bytes, an odd number: truncated data)", ErrNotUTF16LE, e.n)
	}
	return n, err
}

func (u *utf16CSV) Next() ([]string, error) { return u.csv.Read() }
func (u *utf16CSV) Close() error            { return u.rc.Close() }

// checkUTF16LE tells UTF-16-LE text from a file saved in another encoding,
// which Python's utf-16-le codec would have turned into mojibake or a
// UnicodeDecodeError. French text in UTF-16-LE has a zero high byte in
// nearly every code unit; UTF-8 (or Latin-1) text has almost no zero byte.
// whole says the sample is the whole file.
func checkUTF16LE(sample []byte, whole bool) error {
	switch {
	case len(sample) == 0:
		return fmt.Errorf("%w: the file is empty", ErrNoData)
	case bytes.HasPrefix(sample, []byte{0xFF, 0xFE}):
		return nil
	case bytes.HasPrefix(sample, []byte{0xEF, 0xBB, 0xBF}):
		return fmt.Errorf("%w: it starts with a UTF-8 byte order mark (it is UTF-8): save it as UTF-16-LE", ErrNotUTF16LE)
	case bytes.HasPrefix(sample, []byte{0xFE, 0xFF}):
		return fmt.Errorf("%w: it starts with a big-endian byte order mark (UTF-16-BE)", ErrNotUTF16LE)
	case whole && len(sample)%2 == 1:
		return fmt.Errorf("%w: it has an odd number of bytes (it looks like UTF-8)", ErrNotUTF16LE)
	}
	units, zeroHigh := len(sample)/2, 0
	for i := 1; i < len(sample); i += 2 {
		if sample[i] == 0 {
			zeroHigh++
		}
	}
	if zeroHigh*2 < units {
		return fmt.Errorf("%w: no byte order mark and only %d of its first %d code units are in the Latin-1 range, as if it were UTF-8 read as UTF-16-LE (mojibake): save it as UTF-16-LE",
			ErrNotUTF16LE, zeroHigh, units)
	}
	return nil
}
