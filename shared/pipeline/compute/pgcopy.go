package compute

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5/pgconn"
)

// streamCopy runs "COPY (…) TO STDOUT" on src and feeds its output to
// "COPY … FROM STDIN" on dst through a pipe: rows stream from one database
// to the other without being held in memory (the pipe holds one message).
// Text format, not binary, so that types whose binary form names type OIDs
// (arrays of PostGIS types) work between two databases.
func streamCopy(ctx context.Context, src *pgconn.PgConn, srcSQL string, dst *pgconn.PgConn, dstSQL string) (int64, error) {
	pr, pw := io.Pipe()
	srcErr := make(chan error, 1)
	go func() {
		_, err := src.CopyTo(ctx, pw, srcSQL)
		pw.CloseWithError(err)
		srcErr <- err
	}()
	tag, err := dst.CopyFrom(ctx, pr, dstSQL)
	// Unblocks the reader side if the destination stopped early.
	pr.CloseWithError(errors.Join(err, io.ErrClosedPipe))
	if sErr := <-srcErr; sErr != nil && !errors.Is(sErr, io.ErrClosedPipe) {
		return 0, fmt.Errorf("error reading %q: %w%s", srcSQL, sErr, where(sErr))
	}
	if err != nil {
		return 0, fmt.Errorf("error writing %q: %w%s", dstSQL, err, where(err))
	}
	return tag.RowsAffected(), nil
}

// where is the CONTEXT of a server error, which for a COPY names the line,
// the column and the value refused ("COPY t, line 3, column nom: \"…\""),
// and its DETAIL ("Failing row contains …"); pgconn's Error() shows
// neither.
func where(err error) string {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return ""
	}
	var s string
	if pgErr.Where != "" {
		s += "\nCONTEXT: " + pgErr.Where
	}
	if pgErr.Detail != "" {
		s += "\nDETAIL: " + pgErr.Detail
	}
	return s
}
