// Package applysuggestionscheck is the "apply-suggestions-check" function: a thin shell over shared/bundle.
package applysuggestionscheck

import (
	"net/http"

	"github.com/lvao/dataplatform/shared/bundle"
)

var handler = bundle.FromEnv("apply-suggestions-check")

// Handle is the Scaleway entry point (handler: functions/applysuggestionscheck/Handle).
func Handle(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }
