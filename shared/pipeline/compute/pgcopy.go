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
		return 0, fmt.Errorf("error reading %q: %w", srcSQL, sErr)
	}
	if err != nil {
		return 0, fmt.Errorf("error writing %q: %w", dstSQL, err)
	}
	return tag.RowsAffected(), nil
}
