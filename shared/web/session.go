package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
)

// Cookie names.
const (
	sessionCookie    = "lvao_web_session"
	loginCSRFCookie  = "lvao_web_login"
	csrfField        = "csrf"
	sessionVersion   = 1
	maxSessionCookie = 4096
)

// session is the signed content of the session cookie. Sessions are
// stateless: a logout clears the cookie; rotating WEB_SESSION_KEY (or
// removing the user from WEB_USERS) ends every session at once.
type session struct {
	V       int    `json:"v"`
	User    string `json:"u"`
	Expires int64  `json:"e"`
	// CSRF is the per-session token every POST form must carry.
	CSRF string `json:"c"`
}

// sign returns payload.mac, both base64url.
func (s *server) sign(sess session) string {
	b, _ := json.Marshal(sess)
	payload := base64.RawURLEncoding.EncodeToString(b)
	return payload + "." + base64.RawURLEncoding.EncodeToString(s.mac(payload))
}

func (s *server) mac(payload string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("lvao-web-session\x00"))
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// verify decodes a cookie value; ok is false when it is forged, expired,
// or names a user no longer in WEB_USERS.
func (s *server) verify(value string) (session, bool) {
	var sess session
	if len(value) > maxSessionCookie {
		return sess, false
	}
	payload, sig, ok := strings.Cut(value, ".")
	if !ok {
		return sess, false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(payload)) {
		return sess, false
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil || json.Unmarshal(b, &sess) != nil {
		return sess, false
	}
	if sess.V != sessionVersion || sess.CSRF == "" || s.cfg.Now().Unix() >= sess.Expires {
		return sess, false
	}
	if _, known := s.users[sess.User]; !known {
		return sess, false
	}
	return sess, true
}

// currentSession reads the request's session cookie.
func (s *server) currentSession(r *http.Request) (session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return session{}, false
	}
	return s.verify(c.Value)
}

// setCookie writes an HttpOnly, SameSite=Lax cookie (Secure over HTTPS).
func setCookie(w http.ResponseWriter, rc *reqCtx, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: rc.CookiePath, MaxAge: maxAge,
		HttpOnly: true, Secure: rc.Secure, SameSite: http.SameSiteLaxMode})
}

// newToken returns 32 random bytes, hex.
func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// sameToken compares two tokens in constant time.
func sameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// parseUsers reads WEB_USERS ("user:bcrypthash,…"). Entries without a
// name or a bcrypt hash are skipped and logged by position (1-based), with
// the user name only when the entry has one: an entry without ':' may be a
// password or a hash pasted alone, and WEB_USERS is a secret.
func parseUsers(spec string, log *slog.Logger) map[string][]byte {
	out := map[string][]byte{}
	for i, entry := range strings.Split(spec, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		user, hash, ok := strings.Cut(entry, ":")
		user, hash = strings.TrimSpace(user), strings.TrimSpace(hash)
		if !ok || user == "" || !strings.HasPrefix(hash, "$2") {
			attrs := []any{"entry", i + 1}
			if ok && user != "" {
				attrs = append(attrs, "user", user)
			}
			log.Warn("WEB_USERS: entry skipped (expected user:bcrypthash)", attrs...)
			continue
		}
		out[user] = []byte(hash)
	}
	return out
}

// parseTokens reads API_TOKENS; each is kept as its SHA-256 so the
// comparison takes the same time whatever the token's length.
func parseTokens(spec string) [][32]byte {
	var out [][32]byte
	for _, t := range strings.Split(spec, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, sha256.Sum256([]byte(t)))
		}
	}
	return out
}

// validToken checks a bearer token against API_TOKENS.
func (s *server) validToken(token string) bool {
	if token == "" {
		return false
	}
	sum := sha256.Sum256([]byte(token))
	ok := 0
	for _, t := range s.tokens {
		ok |= subtle.ConstantTimeCompare(sum[:], t[:])
	}
	return ok == 1
}

// newSession starts a session for user.
func (s *server) newSession(user string) session {
	return session{V: sessionVersion, User: user, Expires: s.cfg.Now().Add(s.cfg.SessionTTL).Unix(), CSRF: newToken()}
}
