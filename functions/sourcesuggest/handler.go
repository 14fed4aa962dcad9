// Package sourcesuggest is the "source-suggest" function: a thin shell over shared/bundle.
package sourcesuggest

import (
	"net/http"

	"github.com/lvao/dataplatform/shared/bundle"
)

var handler = bundle.FromEnv("source-suggest")

// Handle is the Scaleway entry point (handler: functions/sourcesuggest/Handle).
func Handle(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }
