package apply

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// env is what one suggestion's apply works with: its transaction, the
// clock and the task's logger.
type env struct {
	tx  pgx.Tx
	now time.Time
	log *slog.Logger
	// randomExternalID draws the identifiant_externe of an Acteur saved
	// without one. Default: 12 random upper-case letters.
	randomExternalID func() string
}

func newEnv(tx pgx.Tx, now time.Time, log *slog.Logger) *env {
	return &env{tx: tx, now: now, log: log, randomExternalID: randomUpper12}
}

// randomUpper12 is BaseActeur._generate_identifiant_externe_if_missing:
// random.choices(string.ascii_uppercase, k=12).
func randomUpper12() string {
	const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	return string(b)
}

// refID is <Model>.objects.get(code=code).id of a reference table.
func (e *env) refID(ctx context.Context, table, modelName, code string) (int32, error) {
	var id int32
	err := e.tx.QueryRow(ctx, query("RefIDByCode", tableParams(table)), code).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, doesNotExist(modelName)
	}
	return id, err
}

// refCode is the code of a reference row (ok false when it does not exist).
func (e *env) refCode(ctx context.Context, table string, id int32) (string, bool, error) {
	var code string
	err := e.tx.QueryRow(ctx, query("RefCodeByID", tableParams(table)), id).Scan(&code)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	return code, err == nil, err
}

// defaultSource is Source.objects.get_or_create(code="communautelvao").
func (e *env) defaultSource(ctx context.Context) (int32, error) {
	id, err := e.refID(ctx, "qfdmo_source", "Source", defaultSourceCode)
	if err == nil {
		return id, nil
	}
	if !isNotFound(err) {
		return 0, err
	}
	err = e.tx.QueryRow(ctx, query("SourceCreate", nil), defaultSourceCode).Scan(&id)
	return id, err
}
