// Package exportopendata is the "export-opendata" function: a thin shell over shared/bundle.
package exportopendata

import (
	"net/http"

	"github.com/lvao/dataplatform/shared/bundle"
)

var handler = bundle.FromEnv("export-opendata")

// Handle is the Scaleway entry point (handler: functions/exportopendata/Handle).
func Handle(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }
