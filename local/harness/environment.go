package harness

import (
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// Login is a web user generated for this harness run.
type Login struct{ User, Password string }

// environment layers the harness's values under the real environment and
// decides whether the embedded S3 serves (S3_ENDPOINT unset) or another.
// The coordinator's URL and token point at this harness, and a web login is
// generated when WEB_USERS is not set, so the web function works at once.
func (p *Platform) environment(real Env) (Env, *Login, error) {
	defaults := Defaults()
	if p.EmbeddedS3 {
		defaults["S3_ENDPOINT"] = p.S3Endpoint
	}
	defaults["COORDINATOR_URL"] = p.URL + FunctionPath("coordinator")
	defaults["COORDINATOR_TOKEN"] = p.Token
	defaults["WEB_SESSION_KEY"] = NewToken()
	var login *Login
	if v, ok := real("WEB_USERS"); !ok || v == "" {
		login = &Login{User: "admin", Password: NewToken()[:16]}
		hash, err := bcrypt.GenerateFromPassword([]byte(login.Password), bcrypt.DefaultCost)
		if err != nil {
			return nil, nil, fmt.Errorf("error generating the local web login: %w", err)
		}
		defaults["WEB_USERS"] = login.User + ":" + string(hash)
	}
	return Layer(Forced(), real, defaults), login, nil
}
