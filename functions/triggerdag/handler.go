// Package triggerdag is the "trigger-dag" function: a thin shell over shared/bundle.
package triggerdag

import (
	"net/http"

	"github.com/lvao/dataplatform/shared/bundle"
)

var handler = bundle.FromEnv("trigger-dag")

// Handle is the Scaleway entry point (handler: functions/triggerdag/Handle).
func Handle(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }
