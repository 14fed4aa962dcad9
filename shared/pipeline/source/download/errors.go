package download

import (
	"errors"
	"fmt"
)

// Sentinel errors: every failure of Download wraps one of these (or is an
// *HTTPStatusError, or the context's error), so callers can tell them apart
// with errors.Is / errors.As.
var (
	// ErrNoData: the source gave no row (the Python task's
	// "Aucune donnée reçue de l'API").
	ErrNoData = errors.New("no data received (Aucune donnée reçue de l'API)")
	// ErrUnknownEndpoint: no download mode fits the endpoint ("Pas de
	// fonction de récupération pour l'url"), or FetchMode is unknown.
	ErrUnknownEndpoint = errors.New("no download function for this endpoint")
	// ErrInvalidJSON: a response is not valid JSON.
	ErrInvalidJSON = errors.New("invalid JSON")
	// ErrUnexpectedResponse: valid JSON (or a valid archive) that lacks what
	// the mode needs: data-fair's results, CMA's total_entries or data, the
	// pharmacies' etablissements member.
	ErrUnexpectedResponse = errors.New("unexpected response")
	// ErrNotUTF16LE: the pharmacies CSV is not UTF-16-LE text (typically it
	// was saved as UTF-8).
	ErrNotUTF16LE = errors.New("file is not UTF-16-LE text")
	// ErrMissingColumn: a column of Config.RequiredColumns is not in the data.
	ErrMissingColumn = errors.New("missing expected column")
)

// HTTPStatusError is an HTTP response whose status is not 2xx. 429 and 5xx
// are retried first; the error is returned once the tries are spent.
type HTTPStatusError struct {
	URL        string
	StatusCode int
	Status     string // e.g. "500 Internal Server Error"
}

func (e *HTTPStatusError) Error() string {
	return fmt.Sprintf("GET %s: HTTP status %s", e.URL, e.Status)
}

// transient reports whether the status is worth another try.
func (e *HTTPStatusError) transient() bool {
	return e.StatusCode == 429 || e.StatusCode >= 500
}

// InvalidJSONError tells where a response stopped being valid JSON. It
// wraps ErrInvalidJSON.
type InvalidJSONError struct {
	URL    string
	Offset int64 // byte offset, in the response body, of the value that is not valid
	Err    error
}

func (e *InvalidJSONError) Error() string {
	return fmt.Sprintf("invalid JSON from %s in the value at byte offset %d: %v", e.URL, e.Offset, e.Err)
}

// Unwrap lets errors.Is find ErrInvalidJSON and the decoder's error.
func (e *InvalidJSONError) Unwrap() []error { return []error{ErrInvalidJSON, e.Err} }
