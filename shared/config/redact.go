package config

import "regexp"

// passwordPattern finds the password of a connection URL, so a message
// never prints a secret from DATABASE_URL: up to the last '@' of the
// authority (Go's url.Parse reads a password that holds '@' that way too).
var passwordPattern = regexp.MustCompile(`(://[^:/@\s]+:)[^/\s]*@`)

// passwordParam finds a password given as a parameter: a URL's
// ?password=… (libpq and pgx accept it) or a key=value DSN's password=….
var passwordParam = regexp.MustCompile(`((?:^|[?&\s])password=)[^&\s]*`)

// RedactURL masks the password of any URL or DSN in s (an error message
// from a driver, a URL printed for people).
func RedactURL(s string) string {
	s = passwordPattern.ReplaceAllString(s, "${1}***@")
	return passwordParam.ReplaceAllString(s, "${1}***")
}
