// Package sourcedownload is the "source-download" function: a thin shell over shared/bundle.
package sourcedownload

import (
	"net/http"

	"github.com/lvao/dataplatform/shared/bundle"
)

var handler = bundle.FromEnv("source-download")

// Handle is the Scaleway entry point (handler: functions/sourcedownload/Handle).
func Handle(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }
