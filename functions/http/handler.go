// Package http is the "http" function: a thin shell over shared/bundle.
package http

import (
	"net/http"

	"github.com/lvao/dataplatform/shared/bundle"
)

var handler = bundle.FromEnv("http")

// Handle is the Scaleway entry point (handler: functions/http/Handle).
func Handle(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }
