package transform

import (
	"net"
	"strings"
	"unicode/utf8"
)

// Websites and e-mails. LVAO validates URLs with Django's URLValidator
// (schemes http and https); validURL below follows its regular expression,
// which Go's regexp cannot express directly (it uses look-arounds).

// CleanURL is clean_url: trimmed, "https://" added when the value has no
// http(s) scheme, then validated; an invalid URL is a UrlWarning.
func CleanURL(v Value, _ *SourceConfig) (Value, error) {
	if !v.Truthy() {
		return String(""), nil
	}
	u := pyStrip(v.PyStr())
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		u = "https://" + u
	}
	if !validURL(u) {
		return Missing, newWarning(ExcUrlWarning, "L'URL n'est pas valide : `%s`", u)
	}
	return String(u), nil
}

// CleanURLFromMultiColumns is the dataframe transform
// clean_url_from_multi_columns (origin: candidate columns in order;
// destination [url]): the first non-empty column holding a valid URL wins.
// When none is valid, the last UrlWarning is raised; when all are empty,
// url is "".
func CleanURLFromMultiColumns(in Row, cfg *SourceConfig) (Row, error) {
	value := ""
	var lastErr error
	for _, f := range in.Fields() {
		if !f.Value.Truthy() {
			continue
		}
		v, err := CleanURL(f.Value, cfg)
		if err == nil {
			value = v.Str()
			break
		}
		if SeverityOf(err) != SeverityWarning {
			return Row{}, err
		}
		lastErr = err
	}
	if lastErr != nil && value == "" {
		return Row{}, lastErr
	}
	return NewRow(Field{"url", String(value)}), nil
}

// validURL is Django's URLValidator(schemes=["http", "https"]).
func validURL(u string) bool {
	if utf8.RuneCountInString(u) > 2048 || strings.ContainsAny(u, "\t\r\n") {
		return false
	}
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return false
	}
	switch strings.ToLower(scheme) {
	case "http", "https":
	default:
		return false
	}
	// Nothing after the scheme may be whitespace (Python's \s).
	if strings.IndexFunc(rest, pyIsSpace) >= 0 {
		return false
	}
	// Optional "user:pass@": the regexp may take it or leave the '@' to the
	// path, so both readings are tried.
	if at := strings.IndexByte(rest, '@'); at > 0 {
		if validUserInfo(rest[:at]) && validHostPortPath(rest[at+1:]) {
			return true
		}
	}
	return validHostPortPath(rest)
}

func validUserInfo(s string) bool {
	user, pass, _ := strings.Cut(s, ":")
	return user != "" && !strings.ContainsAny(user, ":@/") && !strings.ContainsAny(pass, ":@/")
}

// validHostPortPath checks host, optional ":port" (1 to 5 digits) and an
// optional path starting with '/', '?' or '#'.
func validHostPortPath(s string) bool {
	var host, rest string
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return false
		}
		host, rest = s[:end+1], s[end+1:]
	} else {
		end := strings.IndexAny(s, ":/?#")
		if end < 0 {
			end = len(s)
		}
		host, rest = s[:end], s[end:]
	}
	if !validHost(host) {
		return false
	}
	if strings.HasPrefix(rest, ":") {
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		port := rest[1:end]
		if len(port) < 1 || len(port) > 5 || strings.Trim(port, "0123456789") != "" {
			return false
		}
		rest = rest[end:]
	}
	return rest == "" || strings.ContainsAny(rest[:1], "/?#")
}

// validHost accepts an IPv4 address, a bracketed IPv6 address, "localhost"
// or a domain name with a top-level domain, as Django does: labels of at
// most 63 letters, digits or '-' (not at either end; letters include any
// character from U+00A1 to U+FFFF), and a TLD of letters only (2 to 63) or
// a punycode "xn--" label; one trailing dot allowed; 253 characters at most.
func validHost(host string) bool {
	h := strings.ToLower(host)
	if h == "" {
		return false
	}
	if strings.HasPrefix(h, "[") {
		ip := strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
		return strings.Trim(ip, "0123456789abcdef:.") == "" && strings.Contains(ip, ":") && net.ParseIP(ip) != nil
	}
	if utf8.RuneCountInString(h) > 253 {
		return false
	}
	if h == "localhost" || validIPv4(h) {
		return true
	}
	labels := strings.Split(strings.TrimSuffix(h, "."), ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels[:len(labels)-1] {
		if !validLabel(l, true) {
			return false
		}
	}
	tld := labels[len(labels)-1]
	if strings.HasPrefix(tld, "xn--") {
		p := tld[4:]
		if len(p) >= 1 && len(p) <= 59 && strings.Trim(p, "abcdefghijklmnopqrstuvwxyz0123456789") == "" {
			return true
		}
	}
	return validLabel(tld, false) && utf8.RuneCountInString(tld) >= 2
}

func validLabel(l string, digits bool) bool {
	n := utf8.RuneCountInString(l)
	if n < 1 || n > 63 || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
		return false
	}
	for _, r := range l {
		switch {
		case r >= 'a' && r <= 'z', r == '-', r >= 0xa1 && r <= 0xffff:
		case digits && r >= '0' && r <= '9':
		default:
			return false
		}
	}
	return true
}

// validIPv4 is Django's ipv4_re: four decimal octets up to 255, no leading
// zero.
func validIPv4(h string) bool {
	parts := strings.Split(h, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if p == "" || len(p) > 3 || strings.Trim(p, "0123456789") != "" || (len(p) > 1 && p[0] == '0') {
			return false
		}
		n := 0
		for i := 0; i < len(p); i++ {
			n = n*10 + int(p[i]-'0')
		}
		if n > 255 {
			return false
		}
	}
	return true
}

// CleanEmail is clean_email: trimmed and lower-cased, then it must start
// with something like "x@y.z" (Python's re.match of [^@]+@[^@]+\.[^@]+,
// anchored at the start only); otherwise an EmailWarning.
func CleanEmail(v Value, _ *SourceConfig) (Value, error) {
	if !v.Truthy() {
		return String(""), nil
	}
	email := pyLower(pyStrip(v.PyStr()))
	if !emailPrefixMatches(email) {
		return Missing, newWarning(ExcEmailWarning, "L'email n'est pas valide : `%s`", email)
	}
	return String(email), nil
}

func emailPrefixMatches(s string) bool {
	at := strings.IndexByte(s, '@')
	if at < 1 {
		return false
	}
	domain := s[at+1:]
	if next := strings.IndexByte(domain, '@'); next >= 0 {
		domain = domain[:next]
	}
	// [^@]+\.[^@]+ within the domain part: a '.' with something on each side.
	dot := strings.IndexByte(domain, '.')
	for dot >= 0 {
		if dot > 0 && dot < len(domain)-1 {
			return true
		}
		n := strings.IndexByte(domain[dot+1:], '.')
		if n < 0 {
			break
		}
		dot += n + 1
	}
	return false
}
