// Package coordinator is the "coordinator" function: a thin shell over shared/bundle.
package coordinator

import (
	"net/http"

	"github.com/lvao/dataplatform/shared/bundle"
)

var handler = bundle.FromEnv("coordinator")

// Handle is the Scaleway entry point (handler: functions/coordinator/Handle).
func Handle(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }
