package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// reqCtx is what a handler knows about its request beyond http.Request.
type reqCtx struct {
	// Base prefixes every link: "" (mounted at the root), "/functions/web"
	// (a known prefix) or "." / "../.." (relative to the request's path).
	Base string
	// CookiePath scopes cookies: the prefix when known, else "/".
	CookiePath string
	// Secure tells the request came over HTTPS (cookies get Secure).
	Secure bool
	// User is the logged-in user ("" when none; "api" for a bearer token).
	User string
	// CSRF is the session's token, put in every form.
	CSRF string
	// Bearer tells the request authenticated with an API token.
	Bearer bool
}

var prefixPattern = regexp.MustCompile(`^(/[A-Za-z0-9._~-]+)*/?$`)

// newReqCtx derives the base path: X-Forwarded-Prefix, else the configured
// BasePath, else a relative base computed from the request's path (the
// browser resolves it against the URL it sees, whatever prefix the host
// stripped).
func (s *server) newReqCtx(r *http.Request) *reqCtx {
	rc := &reqCtx{CookiePath: "/"}
	rc.Secure = r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
	prefix, known := r.Header.Get("X-Forwarded-Prefix"), true
	if prefix == "" || !prefixPattern.MatchString(prefix) || strings.Contains(prefix, "/..") {
		prefix, known = s.cfg.BasePath, s.cfg.BasePath != ""
	}
	if known && prefixPattern.MatchString(prefix) {
		rc.Base = strings.TrimSuffix(prefix, "/")
		rc.CookiePath = rc.Base + "/"
		return rc
	}
	depth := strings.Count(r.URL.EscapedPath(), "/") - 1
	if depth <= 0 {
		rc.Base = "."
		return rc
	}
	rc.Base = strings.TrimSuffix(strings.Repeat("../", depth), "/")
	return rc
}

// link builds base + "/" + the escaped path segments.
func (rc *reqCtx) link(segments ...string) string {
	var b strings.Builder
	b.WriteString(rc.Base)
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	if len(segments) == 0 {
		b.WriteByte('/')
	}
	return b.String()
}

// withQuery appends a query string to a link.
func withQuery(link string, q url.Values) string {
	if len(q) == 0 {
		return link
	}
	return link + "?" + q.Encode()
}

// redirect sends a 303 with a Location kept as given: http.Redirect would
// resolve a relative location against the path the handler sees, which
// lacks the prefix the host stripped.
func redirect(w http.ResponseWriter, location string) {
	w.Header().Set("Location", location)
	w.WriteHeader(http.StatusSeeOther)
}

// localPath accepts a "next" target only when it is a path of this
// function (no scheme, no host, no //): no open redirect.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return next
}

// guard recovers panics (a friendly 500, never a stack trace) and sets the
// security headers of every answer.
func (s *server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "+
			"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.ErrorContext(r.Context(), "web request panicked", "path", r.URL.Path, "panic", fmt.Sprint(p),
					"request_id", r.Header.Get("X-Request-ID"))
				s.fail(w, r, s.newReqCtx(r), fmt.Errorf("panic: %v", p))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// isAPI tells whether a path is under the JSON API.
func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }
