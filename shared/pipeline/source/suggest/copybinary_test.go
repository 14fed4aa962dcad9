package suggest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/lvao/dataplatform/shared/webapp/webapptest"
)

// The binary COPY data gives the rows pgx's CopyFrom gives.
func TestBinaryCopyMatchesCopyFrom(t *testing.T) {
	pool := webapptest.Open(t)
	ctx := context.Background()
	for _, table := range []string{"copy_ref", "copy_bin"} {
		mustExec(t, pool, `CREATE TABLE `+table+` (n integer, s varchar(20), t text NULL, j jsonb NULL, a text[], b text[])`)
	}
	s1, s2 := "é", ""
	type row struct {
		n int32
		s string
		t pgtype.Text
		j []byte
		a []string
		b []*string
	}
	rows := []row{
		{1, "AVALIDER", pgtype.Text{String: "x_1", Valid: true}, []byte(`{"a": [1, 2.50, "<é>"]}`), []string{"latitude", "longitude"}, []*string{&s1, nil}},
		{-7, "", pgtype.Text{}, nil, []string{}, []*string{}},
		{0, "quote'\"\\", pgtype.Text{String: "", Valid: true}, []byte(`null`), []string{"nom"}, []*string{nil}},
		{2147483647, "multi\nline", pgtype.Text{String: "😀", Valid: true}, []byte(`"s"`), []string{"a", ""}, []*string{&s2, &s1}},
	}
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var ref [][]any
		c := newBinaryCopy()
		for _, r := range rows {
			ref = append(ref, []any{r.n, r.s, r.t, r.j, r.a, r.b})
			c.row(6)
			c.int4(r.n)
			c.text(r.s)
			c.nullableText(r.t)
			c.jsonb(r.j)
			c.strings(r.a)
			c.nullableStrings(r.b)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"copy_ref"}, []string{"n", "s", "t", "j", "a", "b"}, pgx.CopyFromRows(ref)); err != nil {
			return err
		}
		return c.copyTo(ctx, tx.Conn(), "copy_bin", []string{"n", "s", "t", "j", "a", "b"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, pool, `SELECT count(*) FROM copy_bin`); n != len(rows) {
		t.Fatalf("copy_bin has %d rows", n)
	}
	if n := countRows(t, pool, `SELECT count(*) FROM ((TABLE copy_ref EXCEPT ALL TABLE copy_bin) UNION ALL
		(TABLE copy_bin EXCEPT ALL TABLE copy_ref)) d`); n != 0 {
		t.Errorf("%d rows differ between pgx's CopyFrom and the binary COPY", n)
	}
}
