package web

import (
	"net/http"
	"net/url"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// handlerFunc is a route's handler once access was decided.
type handlerFunc func(w http.ResponseWriter, r *http.Request, rc *reqCtx)

// maxForm bounds POST bodies (the trigger form's conf included).
const maxForm = 1 << 20

// open serves without login (the login page itself, 404s); a session, if
// any, is still recognised.
func (s *server) open(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rc := s.newReqCtx(r)
		if sess, ok := s.currentSession(r); ok {
			rc.User, rc.CSRF = sess.User, sess.CSRF
		}
		noStore(w)
		h(w, r, rc)
	}
}

// page needs a session; without one it redirects to the login page,
// which comes back here afterwards.
func (s *server) page(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rc := s.newReqCtx(r)
		sess, ok := s.currentSession(r)
		if !ok {
			next := r.URL.EscapedPath()
			if r.URL.RawQuery != "" {
				next += "?" + r.URL.RawQuery
			}
			redirect(w, withQuery(rc.link("login"), url.Values{"next": {next}}))
			return
		}
		rc.User, rc.CSRF = sess.User, sess.CSRF
		noStore(w)
		h(w, r, rc)
	}
}

// api needs a bearer token of API_TOKENS or a session; otherwise 401 JSON.
func (s *server) api(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rc := s.newReqCtx(r)
		noStore(w)
		if auth := r.Header.Get("Authorization"); auth != "" {
			scheme, token, _ := strings.Cut(auth, " ")
			if !strings.EqualFold(scheme, "Bearer") || !s.validToken(strings.TrimSpace(token)) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="lvao"`)
				writeError(w, http.StatusUnauthorized, "invalid token", "Authorization: Bearer <a token of API_TOKENS>")
				return
			}
			rc.User, rc.Bearer = "api", true
			h(w, r, rc)
			return
		}
		sess, ok := s.currentSession(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="lvao"`)
			writeError(w, http.StatusUnauthorized, "authentication required", "log in, or send Authorization: Bearer <token>")
			return
		}
		rc.User, rc.CSRF = sess.User, sess.CSRF
		h(w, r, rc)
	}
}

// action is a POST from a form: it needs a session and the session's CSRF
// token in the form, else 403 (a request forged by another site has the
// cookie but not the token).
func (s *server) action(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rc := s.newReqCtx(r)
		noStore(w)
		sess, ok := s.currentSession(r)
		if !ok {
			s.errorPage(w, r, rc, http.StatusForbidden, "Session expired",
				"Your session has ended or this form is stale. Log in and try again.")
			return
		}
		rc.User, rc.CSRF = sess.User, sess.CSRF
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if err := r.ParseForm(); err != nil {
			s.errorPage(w, r, rc, http.StatusBadRequest, "Invalid form", "The form could not be read.")
			return
		}
		if !sameToken(r.PostForm.Get(csrfField), sess.CSRF) {
			s.errorPage(w, r, rc, http.StatusForbidden, "Forbidden",
				"This form did not carry a valid security token. Reload the page and try again.")
			return
		}
		h(w, r, rc)
	}
}

func noStore(w http.ResponseWriter) { w.Header().Set("Cache-Control", "no-store") }

// loginView is the login page's data.
type loginView struct {
	Next, Error, LoginCSRF string
	// User is the name typed before a failed login, kept in the form.
	User    string
	NoUsers bool
}

func (s *server) loginPage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	next := localPath(r.URL.Query().Get("next"))
	if rc.User != "" {
		redirect(w, rc.Base+next)
		return
	}
	s.renderLogin(w, r, rc, http.StatusOK, loginView{Next: next})
}

// renderLogin shows the form with a fresh login CSRF token (a cookie and
// the same value in the form: a site that cannot read the cookie cannot
// log a victim into its own account).
func (s *server) renderLogin(w http.ResponseWriter, r *http.Request, rc *reqCtx, code int, v loginView) {
	token := newToken()
	if c, err := r.Cookie(loginCSRFCookie); err == nil && len(c.Value) == 64 {
		token = c.Value
	}
	setCookie(w, rc, loginCSRFCookie, token, 3600)
	v.LoginCSRF, v.NoUsers = token, len(s.users) == 0
	s.render(w, r, rc, code, "login", "Log in", v)
}

var (
	dummyOnce sync.Once
	dummyHash []byte
)

// checkPassword compares in about the same time whether the user exists.
func (s *server) checkPassword(user, password string) bool {
	hash, ok := s.users[user]
	if !ok {
		dummyOnce.Do(func() { dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a password"), bcrypt.DefaultCost) })
		hash = dummyHash
	}
	return bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil && ok
}

func (s *server) login(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, rc, http.StatusBadRequest, "Invalid form", "The form could not be read.")
		return
	}
	c, err := r.Cookie(loginCSRFCookie)
	if err != nil || !sameToken(r.PostForm.Get(csrfField), c.Value) {
		s.errorPage(w, r, rc, http.StatusForbidden, "Forbidden",
			"The login form did not carry a valid security token. Reload the login page and try again.")
		return
	}
	next := localPath(r.PostForm.Get("next"))
	user := strings.TrimSpace(r.PostForm.Get("user"))
	if !s.checkPassword(user, r.PostForm.Get("password")) {
		s.log.WarnContext(r.Context(), "web login failed", "user", user, "request_id", r.Header.Get("X-Request-ID"))
		if len(user) > 200 {
			user = ""
		}
		s.renderLogin(w, r, rc, http.StatusUnauthorized, loginView{Next: next, Error: "Wrong user name or password.", User: user})
		return
	}
	setCookie(w, rc, sessionCookie, s.sign(s.newSession(user)), int(s.cfg.SessionTTL.Seconds()))
	setCookie(w, rc, loginCSRFCookie, "", -1)
	s.log.InfoContext(r.Context(), "web login", "user", user)
	redirect(w, rc.Base+next)
}

func (s *server) logout(w http.ResponseWriter, _ *http.Request, rc *reqCtx) {
	setCookie(w, rc, sessionCookie, "", -1)
	redirect(w, rc.link("login"))
}
