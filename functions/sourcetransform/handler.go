// Package sourcetransform is the "source-transform" function: a thin shell over shared/bundle.
package sourcetransform

import (
	"net/http"

	"github.com/lvao/dataplatform/shared/bundle"
)

var handler = bundle.FromEnv("source-transform")

// Handle is the Scaleway entry point (handler: functions/sourcetransform/Handle).
func Handle(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }
