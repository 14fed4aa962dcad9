// Package noop is the "noop" function: a thin shell over shared/bundle.
package noop

import (
	"net/http"

	"github.com/lvao/dataplatform/shared/bundle"
)

var handler = bundle.FromEnv("noop")

// Handle is the Scaleway entry point (handler: functions/noop/Handle).
func Handle(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }
