package transform

import (
	"errors"
	"fmt"
)

// Severity is what an error does to the import, following the exception
// classes of the LVAO transform code.
type Severity uint8

const (
	// SeverityWarning (ImportSourceValueWarning): the value is blanked, the
	// row is kept and the warning goes to the suggestion log.
	SeverityWarning Severity = iota + 1
	// SeverityBlocking (ImportSourceValueError): the row is dropped and the
	// error goes to the suggestion log. Only dataframe transforms catch these;
	// raised by a column transform they fail the task (see Options.Lenient).
	SeverityBlocking
	// SeverityFatal: any other Python exception (KeyError, ValueError…): not
	// caught, the whole normalize task fails.
	SeverityFatal
)

func (s Severity) String() string {
	switch s {
	case SeverityWarning:
		return "warning"
	case SeverityBlocking:
		return "blocking"
	case SeverityFatal:
		return "fatal"
	}
	return "unknown"
}

// Exception class names of the LVAO transform code, kept so that logs and
// tests name the same errors as the Python pipeline.
const (
	ExcBooleanValueWarning       = "BooleanValueWarning"
	ExcActeurTypeCodeError       = "ActeurTypeCodeError"
	ExcCodePostalWarning         = "CodePostalWarning"
	ExcActeurServiceCodesWarning = "ActeurServiceCodesWarning"
	ExcActionCodesWarning        = "ActionCodesWarning"
	ExcAdresseWarning            = "AdresseWarning"
	ExcIdentifiantExterneError   = "IdentifiantExterneError"
	ExcIdentifiantUniqueError    = "IdentifiantUniqueError"
	ExcOpeningHoursWarning       = "OpeningHoursWarning"
	ExcPublicAccueilliWarning    = "PublicAccueilliWarning"
	ExcRepriseWarning            = "RepriseWarning"
	ExcSirenWarning              = "SirenWarning"
	ExcSiretWarning              = "SiretWarning"
	ExcSousCategorieCodesError   = "SousCategorieCodesError"
	ExcUrlWarning                = "UrlWarning"
	ExcEmailWarning              = "EmailWarning"
	ExcTelephoneWarning          = "TelephoneWarning"
	ExcGeopointWarning           = "GeopointWarning"
	// Plain Python exceptions, never caught by the normalize task.
	ExcKeyError   = "KeyError"
	ExcValueError = "ValueError"
)

// TransformError is an error raised by a transformation. Name is the Python
// exception class; Severity says whether the value is blanked, the row
// dropped or the task failed.
type TransformError struct {
	Name     string
	Severity Severity
	Message  string
}

func (e *TransformError) Error() string { return e.Name + ": " + e.Message }

func newWarning(name, format string, args ...any) error {
	return &TransformError{Name: name, Severity: SeverityWarning, Message: fmt.Sprintf(format, args...)}
}

func newBlocking(name, format string, args ...any) error {
	return &TransformError{Name: name, Severity: SeverityBlocking, Message: fmt.Sprintf(format, args...)}
}

// ErrUnavailable wraps the failure of a service a transformation needs
// (the BAN of validate_address_with_ban) that says nothing of the row: the
// normalizer fails the task on it even when Lenient, instead of dropping
// every row, one failed lookup (and its retries) at a time.
var ErrUnavailable = errors.New("service unavailable")

func newFatal(name, format string, args ...any) error {
	return &TransformError{Name: name, Severity: SeverityFatal, Message: fmt.Sprintf(format, args...)}
}

// SeverityOf returns the severity of err: a TransformError's own, fatal for
// any other error.
func SeverityOf(err error) Severity {
	var te *TransformError
	if errors.As(err, &te) {
		return te.Severity
	}
	return SeverityFatal
}

// ExceptionName returns the Python exception class of err ("" for an error
// that is not a TransformError).
func ExceptionName(err error) string {
	var te *TransformError
	if errors.As(err, &te) {
		return te.Name
	}
	return ""
}

// errorMessage is Python's str(exception): the message alone.
func errorMessage(err error) string {
	var te *TransformError
	if errors.As(err, &te) {
		return te.Message
	}
	return err.Error()
}

// Log is one entry of the suggestion log: a warning (value blanked) or a
// blocking error (row dropped) met while normalising a row. JSON names are
// those of the LVAO LogBase model.
type Log struct {
	IdentifiantUnique  string   `json:"identifiant_unique"`
	Function           string   `json:"fonction_de_transformation"`
	OriginColumns      []string `json:"origine_colonnes"`
	OriginValues       []string `json:"origine_valeurs"`
	DestinationColumns []string `json:"destination_colonnes"`
	Message            string   `json:"message"`
	// Exception is the Python exception class (e.g. "SiretWarning").
	Exception string `json:"exception"`
	// Blocking is true for an error that dropped the row.
	Blocking bool `json:"blocking"`
}

// FatalError is returned by the normalizer when the task must fail; it
// wraps the cause and names the rule and the row that raised it.
type FatalError struct {
	Step  string // rule or step, e.g. "clean_identifiant_unique"
	Row   int    // index of the input row, -1 when not tied to a row
	Cause error
}

func (e *FatalError) Error() string {
	if e.Row >= 0 {
		return fmt.Sprintf("error normalizing row %d in %s: %v", e.Row, e.Step, e.Cause)
	}
	return fmt.Sprintf("error normalizing in %s: %v", e.Step, e.Cause)
}

func (e *FatalError) Unwrap() error { return e.Cause }
