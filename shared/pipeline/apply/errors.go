package apply

import (
	"errors"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lvao/dataplatform/shared/pyfmt"
)

// The errors an apply raises are stored, as LVAO stores them, in the
// suggestion's metadata ({"error": "<message>"}), so their text follows the
// Django/Python exception a reviewer knows from LVAO: "Acteur matching query
// does not exist.", "{'nom': ['This field cannot be blank.']}", a
// ValueError's own message, psycopg's text for a database error.

// notFoundError is Django's Model.DoesNotExist.
type notFoundError struct{ model string }

func (e *notFoundError) Error() string { return e.model + " matching query does not exist." }

func doesNotExist(model string) error { return &notFoundError{model: model} }

// isNotFound tells a DoesNotExist error.
func isNotFound(err error) bool {
	var nf *notFoundError
	return errors.As(err, &nf)
}

// validationError is Django's ValidationError raised by full_clean: field
// name → messages, printed as Python prints the error dict.
type validationError struct {
	fields []string // insertion order (model field order)
	msgs   map[string][]string
}

func (v *validationError) add(field, msg string) {
	if v.msgs == nil {
		v.msgs = map[string][]string{}
	}
	if _, ok := v.msgs[field]; !ok {
		v.fields = append(v.fields, field)
	}
	v.msgs[field] = append(v.msgs[field], msg)
}

func (v *validationError) empty() bool { return len(v.fields) == 0 }

// Error is str(ValidationError(dict)): "{'nom': ['This field cannot be
// blank.']}".
func (v *validationError) Error() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range v.fields {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(pyfmt.Repr(f))
		b.WriteString(": [")
		for j, m := range v.msgs[f] {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(pyfmt.Repr(m))
		}
		b.WriteByte(']')
	}
	b.WriteByte('}')
	return b.String()
}

// singleValidationError is a ValidationError for one field (clean_location).
func singleValidationError(field, msg string) error {
	v := &validationError{}
	v.add(field, msg)
	return v
}

// keyError is Python's KeyError on a missing dict key: str(KeyError('x'))
// is "'x'" but LVAO stores e.args[0], the bare key.
func keyError(key string) error { return errors.New(key) }

// errorMessage is the text stored in metadata.error: LVAO stores
// e.args[0]; for a database error that is psycopg's message with its
// DETAIL line.
func errorMessage(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		msg := pgErr.Message
		if pgErr.Detail != "" {
			msg += "\nDETAIL:  " + pgErr.Detail
		}
		return msg
	}
	return err.Error()
}

// sortedKeys returns the keys of m in order, so that a change's data is
// applied, and its first error reported, deterministically.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
