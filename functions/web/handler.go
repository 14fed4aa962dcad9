// Package web is the "web" function: a thin shell over shared/bundle.
package web

import (
	"net/http"

	"github.com/lvao/dataplatform/shared/bundle"
)

var handler = bundle.FromEnv("web")

// Handle is the Scaleway entry point (handler: functions/web/Handle).
func Handle(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }
