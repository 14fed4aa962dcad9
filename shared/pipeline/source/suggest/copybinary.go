package suggest

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// The groups and units of a source run are most of what it writes (some
// 25 units per acteur): they go to Postgres as binary COPY data built
// here directly, column types known, rather than through pgx's CopyFrom,
// which plans the encoding of every value of every row.

// binaryCopy builds the data of one COPY … FROM STDIN (FORMAT binary).
type binaryCopy struct {
	buf []byte
}

const (
	oidText = 25
)

func newBinaryCopy() *binaryCopy {
	c := &binaryCopy{buf: make([]byte, 0, 1<<20)}
	c.reset()
	return c
}

// reset starts a new COPY stream in the same buffer (a batch's units take
// a few MB: growing a new buffer each batch was a tenth of the write
// step's CPU).
func (c *binaryCopy) reset() {
	c.buf = append(c.buf[:0], "PGCOPY\n\xff\r\n\x00"...)
	c.buf = binary.BigEndian.AppendUint32(c.buf, 0) // flags
	c.buf = binary.BigEndian.AppendUint32(c.buf, 0) // header extension
}

// row starts a row of n columns.
func (c *binaryCopy) row(n int) { c.buf = binary.BigEndian.AppendUint16(c.buf, uint16(n)) }

func (c *binaryCopy) null() { c.buf = binary.BigEndian.AppendUint32(c.buf, 0xFFFFFFFF) }

func (c *binaryCopy) int4(v int32) {
	c.buf = binary.BigEndian.AppendUint32(c.buf, 4)
	c.buf = binary.BigEndian.AppendUint32(c.buf, uint32(v))
}

// text is a text or varchar value.
func (c *binaryCopy) text(s string) {
	c.buf = binary.BigEndian.AppendUint32(c.buf, uint32(len(s)))
	c.buf = append(c.buf, s...)
}

func (c *binaryCopy) nullableText(t pgtype.Text) {
	if !t.Valid {
		c.null()
		return
	}
	c.text(t.String)
}

// jsonb is a jsonb value from its JSON text; nil is NULL.
func (c *binaryCopy) jsonb(b []byte) {
	if b == nil {
		c.null()
		return
	}
	c.buf = binary.BigEndian.AppendUint32(c.buf, uint32(len(b)+1))
	c.buf = append(c.buf, 1) // jsonb binary format version
	c.buf = append(c.buf, b...)
}

// textArray is a one-dimensional text[]; a nil element is NULL.
func (c *binaryCopy) textArray(n int, item func(i int) *string) {
	start := len(c.buf)
	c.buf = binary.BigEndian.AppendUint32(c.buf, 0) // length, set below
	if n == 0 {
		// An empty array has no dimension.
		c.buf = binary.BigEndian.AppendUint32(c.buf, 0)
		c.buf = binary.BigEndian.AppendUint32(c.buf, 0)
		c.buf = binary.BigEndian.AppendUint32(c.buf, oidText)
	} else {
		hasNull := uint32(0)
		for i := 0; i < n; i++ {
			if item(i) == nil {
				hasNull = 1
				break
			}
		}
		c.buf = binary.BigEndian.AppendUint32(c.buf, 1) // dimensions
		c.buf = binary.BigEndian.AppendUint32(c.buf, hasNull)
		c.buf = binary.BigEndian.AppendUint32(c.buf, oidText)
		c.buf = binary.BigEndian.AppendUint32(c.buf, uint32(n))
		c.buf = binary.BigEndian.AppendUint32(c.buf, 1) // lower bound
		for i := 0; i < n; i++ {
			if s := item(i); s == nil {
				c.null()
			} else {
				c.text(*s)
			}
		}
	}
	binary.BigEndian.PutUint32(c.buf[start:], uint32(len(c.buf)-start-4))
}

func (c *binaryCopy) strings(ss []string) {
	c.textArray(len(ss), func(i int) *string { return &ss[i] })
}

func (c *binaryCopy) nullableStrings(ss []*string) {
	c.textArray(len(ss), func(i int) *string { return ss[i] })
}

// copyTo sends the data to table's columns.
func (c *binaryCopy) copyTo(ctx context.Context, conn *pgx.Conn, table string, columns []string) error {
	c.buf = binary.BigEndian.AppendUint16(c.buf, 0xFFFF) // trailer
	quoted := make([]string, len(columns))
	for i, col := range columns {
		quoted[i] = pgx.Identifier{col}.Sanitize()
	}
	sql := fmt.Sprintf("COPY %s (%s) FROM STDIN (FORMAT binary)", pgx.Identifier{table}.Sanitize(), strings.Join(quoted, ", "))
	_, err := conn.PgConn().CopyFrom(ctx, bytes.NewReader(c.buf), sql)
	return err
}
