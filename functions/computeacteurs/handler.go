// Package computeacteurs is the "compute-acteurs" function: a thin shell over shared/bundle.
package computeacteurs

import (
	"net/http"

	"github.com/lvao/dataplatform/shared/bundle"
)

var handler = bundle.FromEnv("compute-acteurs")

// Handle is the Scaleway entry point (handler: functions/computeacteurs/Handle).
func Handle(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }
