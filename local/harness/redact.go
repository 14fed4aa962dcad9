package harness

import "github.com/lvao/dataplatform/shared/config"

func redact(err error) string {
	return config.RedactURL(err.Error())
}

// RedactURL masks the password of any URL or DSN in s (config.RedactURL).
func RedactURL(s string) string { return config.RedactURL(s) }
