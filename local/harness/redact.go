package harness

import "regexp"

// passwordPattern finds the password of a connection URL in an error, so a
// harness message never prints a secret from DATABASE_URL.
var passwordPattern = regexp.MustCompile(`(://[^:/@\s]+:)[^@\s]+@`)

func redact(err error) string {
	return RedactURL(err.Error())
}

// RedactURL masks the password of any URL in s.
func RedactURL(s string) string {
	return passwordPattern.ReplaceAllString(s, "${1}***@")
}
