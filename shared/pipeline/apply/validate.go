package apply

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/lvao/dataplatform/shared/pyfmt"
)

// fullClean is Model.full_clean() as far as the data can break it:
// clean_fields (null, blank, max_length, choices, email, the foreign keys'
// targets and RevisionActeur.parent's clean_parent validator), in model
// field order. Unique constraints are left to the database, which enforces
// the same ones (the error then is the database's).
func (e *env) fullClean(ctx context.Context, r *record) error {
	verr := &validationError{}
	for i := range r.m.columns {
		c := &r.m.columns[i]
		v := r.vals[c.name]
		if v == nil {
			if !c.null && !c.blank {
				verr.add(c.field, "This field cannot be null.")
			}
			// blank=True: Django skips the field (the database then
			// refuses a NULL in a NOT NULL column).
			continue
		}
		if s, ok := v.(string); ok && s == "" && c.kind != colLocation {
			if !c.blank {
				verr.add(c.field, "This field cannot be blank.")
			}
			continue
		}
		switch c.kind {
		case colText:
			s := v.(string)
			if c.maxLen > 0 {
				if n := utf8.RuneCountInString(s); n > c.maxLen {
					verr.add(c.field, fmt.Sprintf("Ensure this value has at most %d characters (it has %d).", c.maxLen, n))
				}
			}
			if c.choices != nil && !slices.Contains(c.choices, s) {
				verr.add(c.field, fmt.Sprintf("Value %s is not a valid choice.", pyfmt.Repr(s)))
			}
			if c.email && !validEmail(s) {
				verr.add(c.field, "Enter a valid email address.")
			}
		case colFK:
			if _, ok, err := e.refCode(ctx, c.ref, v.(int32)); err != nil {
				return err
			} else if !ok {
				verr.add(c.field, fmt.Sprintf("%s instance with id %d does not exist.", verboseName(c.refModel), v.(int32)))
			}
		case colParent:
			msg, err := e.cleanParent(ctx, r, v.(string))
			if err != nil {
				return err
			}
			if msg != "" {
				verr.add(c.field, msg)
			}
		}
	}
	if verr.empty() {
		return nil
	}
	return verr
}

// cleanParent is the parent field's validation: the target must exist
// (ForeignKey.validate) and must not itself be a duplicate (clean_parent).
// Two guards LVAO lacks (each made every later compute_acteurs fail on
// its data tests, until the data was repaired by hand): an acteur cannot
// be its own parent, nor get a parent while it is one (a chain).
func (e *env) cleanParent(ctx context.Context, r *record, parentID string) (string, error) {
	if parentID == r.id {
		return "An acteur can't be its own parent.", nil
	}
	var isParent bool
	if err := e.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM qfdmo_revisionacteur WHERE parent_id = $1)`, r.id).Scan(&isParent); err != nil {
		return "", err
	}
	if isParent {
		return "You can't give a Parent to an acteur which is already a Parent.", nil
	}
	parent, err := e.load(ctx, revisionModel, parentID)
	if err != nil {
		return "", err
	}
	if parent == nil {
		return fmt.Sprintf("Parent instance with identifiant unique %s does not exist.", pyfmt.Repr(parentID)), nil
	}
	if parent.get("parent_id") != nil {
		return "You can't define a Parent which is already a duplicate.", nil
	}
	return "", nil
}

// verboseName is Django's default verbose_name of a model: "ActeurType" →
// "acteur type".
func verboseName(model string) string {
	var b strings.Builder
	for i, r := range model {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return strings.ToLower(b.String())
}

// Django's EmailValidator (user part, domain part; a literal IP domain in
// brackets is accepted as is).
var (
	emailUser = regexp.MustCompile(`(?i)^([-!#$%&'*+/=?^_` + "`" + `{}|~0-9A-Z]+(\.[-!#$%&'*+/=?^_` + "`" + `{}|~0-9A-Z]+)*|"([\x01-\x08\x0b\x0c\x0e-\x1f!#-\[\]-\x7f]|\\[\x01-\x09\x0b\x0c\x0e-\x7f])*")$`)
	// Django's domain regex ends in (?<!-): no final hyphen, checked apart.
	emailDomain  = regexp.MustCompile(`(?i)^((?:[A-Z0-9](?:[A-Z0-9-]{0,61}[A-Z0-9])?\.)+)(?:[A-Z0-9-]{2,63})$`)
	emailLiteral = regexp.MustCompile(`^\[[0-9a-fA-F:.]+\]$`)
)

// validEmail is EmailValidator()(value) for a non-empty value (LVAO's
// EmptyEmailValidator accepts "" too, as blank fields never reach it).
func validEmail(s string) bool {
	if len(s) > 320 {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return false
	}
	user, domain := s[:at], s[at+1:]
	if !emailUser.MatchString(user) {
		return false
	}
	if domain == "localhost" || emailLiteral.MatchString(domain) {
		return true
	}
	if strings.HasSuffix(domain, "-") {
		return false
	}
	if emailDomain.MatchString(domain) {
		return true
	}
	// Django retries with the IDNA (punycode) form of the domain: accept
	// non-ASCII labels made of letters.
	return emailDomain.MatchString(asciiFold(domain))
}

// asciiFold replaces non-ASCII letters by 'x' (a stand-in for punycode,
// which only ever yields [a-z0-9-]).
func asciiFold(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 0x80 {
			b.WriteByte('x')
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
