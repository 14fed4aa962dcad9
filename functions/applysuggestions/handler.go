// Package applysuggestions is the "apply-suggestions" function: a thin shell over shared/bundle.
package applysuggestions

import (
	"net/http"

	"github.com/lvao/dataplatform/shared/bundle"
)

var handler = bundle.FromEnv("apply-suggestions")

// Handle is the Scaleway entry point (handler: functions/applysuggestions/Handle).
func Handle(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }
