package transform

import (
	"fmt"
	"sort"
	"strings"

	"github.com/lvao/dataplatform/shared/pyfmt"
)

// Mappings from what a source publishes to LVAO codes: products to
// sous_categories (db_mapping.json), labels, acteur services and actions,
// and the proposition_services built from them.

// CleanSousCategorieCodes is clean_sous_categorie_codes: the source's
// product labels ('|'-separated text or a list), trimmed and lower-cased,
// each mapped through product_mapping to one code or a list of codes.
// The result holds each code once (in first-seen order; upstream the order
// is a Python set's, so not significant).
//
// An unknown label is a KeyError upstream, which fails the task; a mapping
// value that is neither a code nor a list, or an input that is neither text
// nor list, is a SousCategorieCodesError.
func CleanSousCategorieCodes(v Value, cfg *SourceConfig) (Value, error) {
	if !v.Truthy() {
		return List(), nil
	}
	var labels []string
	switch v.Kind() {
	case KindString:
		labels = strings.Split(v.str, "|")
	case KindList:
		labels = v.StringItems()
	default:
		return Missing, newBlocking(ExcSousCategorieCodesError,
			"Impossible d'interpréter les sous-catégories: %s", v.PyStr())
	}
	var codes []string
	seen := map[string]bool{}
	add := func(c string) {
		if !seen[c] {
			seen[c] = true
			codes = append(codes, c)
		}
	}
	for _, label := range labels {
		label = pyLower(pyStrip(label))
		if label == "" {
			continue
		}
		mapped, ok := productMapping(cfg)[label]
		if !ok {
			return Missing, newFatal(ExcKeyError, "%s", pyfmt.Repr(label))
		}
		switch mapped.Kind() {
		case KindString:
			add(mapped.str)
		case KindList:
			for _, c := range mapped.StringItems() {
				add(c)
			}
		default:
			return Missing, newBlocking(ExcSousCategorieCodesError,
				"Impossible d'interpréter la sous-catégorie: %s", mapped.PyStr())
		}
	}
	return Strings(codes...), nil
}

// CheckProductMapping tells the labels of a product_mapping whose value is
// neither a code nor a list of codes (a number, null, an object, a list
// holding something else than strings): every row naming such a label
// would fail on it (SousCategorieCodesError), so source_config_validate
// refuses the mapping instead, naming the labels.
func CheckProductMapping(mapping map[string]Value) error {
	var bad []string
	for label, v := range mapping {
		ok := v.Kind() == KindString
		if v.Kind() == KindList {
			ok = true
			for _, it := range v.Items() {
				ok = ok && it.Kind() == KindString
			}
		}
		if !ok {
			bad = append(bad, fmt.Sprintf("%q: %s", label, v.PyStr()))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	return fmt.Errorf("product_mapping: a label maps to a code or a list of codes, not %s", strings.Join(bad, ", "))
}

func productMapping(cfg *SourceConfig) map[string]Value {
	if cfg == nil {
		return nil
	}
	return cfg.ProductMapping
}

// sinoeIgnoredCodes are waste codes SINOE writes for "none".
var sinoeIgnoredCodes = []string{"", "nan", "np", "none"}

// CleanSousCategorieCodesSinoe is clean_sous_categorie_codes_sinoe: SINOE
// lists waste codes ("01.3|02.31"); each becomes its label through
// dechet_mapping (an unknown code is a KeyError: the task fails), labels
// that product_mapping does not know are skipped, and the rest go through
// CleanSousCategorieCodes.
func CleanSousCategorieCodesSinoe(v Value, cfg *SourceConfig) (Value, error) {
	if !v.Truthy() {
		return List(), nil
	}
	var labels []string
	for _, code := range strings.Split(v.PyStr(), "|") {
		code = pyStrip(code)
		if contains(sinoeIgnoredCodes, pyLower(code)) {
			continue
		}
		var dechets map[string]string
		if cfg != nil {
			dechets = cfg.DechetMapping
		}
		label, ok := dechets[code]
		if !ok {
			return Missing, newFatal(ExcKeyError, "%s", pyfmt.Repr(code))
		}
		if _, known := productMapping(cfg)[pyLower(label)]; known {
			labels = append(labels, label)
		}
	}
	return CleanSousCategorieCodes(String(strings.Join(labels, "|")), cfg)
}

// Label rules of clean_label_codes.
const (
	// BonusReparationMarker in a source's labels means the acteur is approved
	// for the repair bonus; the DAG's label_bonus_reparation code is added.
	BonusReparationMarker = "Agréé Bonus Réparation"
	acteurTypeESS         = "ess"
	labelESS              = "ess"
)

var labelsIgnored = []string{"non applicable", "na", "n/a", "null", "aucun", "non"}

// CleanLabelCodes is the dataframe transform clean_label_codes (origin
// [<labels column>, acteur_type_code]; destination [label_codes]): an ESS
// acteur gets the "ess" label; the '|'-separated labels are transliterated,
// trimmed and lower-cased, and "none"-like ones skipped.
func CleanLabelCodes(in Row, cfg *SourceConfig) (Row, error) {
	if in.Len() == 0 {
		return Row{}, newFatal(ExcKeyError, "clean_label_codes needs the labels column")
	}
	typeCode, ok := in.Lookup("acteur_type_code")
	if !ok {
		return Row{}, newFatal(ExcKeyError, "'acteur_type_code'")
	}
	var codes []string
	if typeCode.Str() == acteurTypeESS {
		codes = append(codes, labelESS)
	}
	text := ""
	if v := in.Fields()[0].Value; v.Truthy() {
		text = v.PyStr()
	}
	if cfg != nil && cfg.LabelBonusReparation != "" && strings.Contains(text, BonusReparationMarker) {
		codes = append(codes, cfg.LabelBonusReparation)
		text = strings.ReplaceAll(text, BonusReparationMarker, "")
	}
	for _, label := range strings.Split(text, "|") {
		label = formatLibelleToCode(label)
		if label == "" || contains(labelsIgnored, label) {
			continue
		}
		codes = append(codes, label)
	}
	return NewRow(Field{"label_codes", Strings(codes...)}), nil
}

// The four flags of the eco-organisms' data that tell what an acteur does.
const (
	flagServiceReparation = "point_dapport_de_service_reparation"
	flagReparation        = "point_de_reparation"
	flagReemploi          = "point_dapport_pour_reemploi"
	flagCollecteDechets   = "point_de_collecte_ou_de_reprise_des_dechets"
)

// readFlags casts the four flags; a flag that is not a boolean is a
// BooleanValueWarning raised from inside the dataframe transform.
func readFlags(in Row) (map[string]bool, error) {
	out := map[string]bool{}
	for _, f := range []string{flagServiceReparation, flagReparation, flagReemploi, flagCollecteDechets} {
		v, err := CastEOBooleanOrStringToBoolean(in.Get(f), nil)
		if err != nil {
			return nil, err
		}
		out[f] = v.Truthy()
	}
	return out, nil
}

// CleanActeurServiceCodes is the dataframe transform
// clean_acteur_service_codes: repair flags give "service_de_reparation",
// reuse and waste collection flags give "structure_de_collecte"; no flag set
// is an ActeurServiceCodesWarning.
func CleanActeurServiceCodes(in Row, _ *SourceConfig) (Row, error) {
	flags, err := readFlags(in)
	if err != nil {
		return Row{}, err
	}
	var codes []string
	if flags[flagServiceReparation] || flags[flagReparation] {
		codes = append(codes, "service_de_reparation")
	}
	if flags[flagReemploi] || flags[flagCollecteDechets] {
		codes = append(codes, "structure_de_collecte")
	}
	if len(codes) == 0 {
		return Row{}, newWarning(ExcActeurServiceCodesWarning, "Acteur service n'a pas pu être déduit : %s", rowText(in))
	}
	return NewRow(Field{"acteur_service_codes", Strings(codes...)}), nil
}

// CleanActionCodes is the dataframe transform clean_action_codes: repair
// flags give "reparer", the reuse flag "donner" ("rapporter" when the DAG
// collects returnable objects), the waste flag "trier"; no flag set is an
// ActionCodesWarning.
func CleanActionCodes(in Row, cfg *SourceConfig) (Row, error) {
	flags, err := readFlags(in)
	if err != nil {
		return Row{}, err
	}
	var codes []string
	if flags[flagServiceReparation] || flags[flagReparation] {
		codes = append(codes, "reparer")
	}
	if flags[flagReemploi] {
		if cfg != nil && cfg.ReturnableObjects {
			codes = append(codes, "rapporter")
		} else {
			codes = append(codes, "donner")
		}
	}
	if flags[flagCollecteDechets] {
		codes = append(codes, "trier")
	}
	if len(codes) == 0 {
		return Row{}, newWarning(ExcActionCodesWarning, "Action codes n'a pas pu être déduit : %s", rowText(in))
	}
	return NewRow(Field{"action_codes", Strings(codes...)}), nil
}

// rowText prints a row for a message (upstream prints the pandas Series).
func rowText(r Row) string { return string(r.AppendJSON(nil)) }

// CleanPropositionServices is the dataframe transform
// clean_proposition_services (origin [action_codes, sous_categorie_codes]):
// one {action, sous_categories} per action, actions sorted, each with the
// sorted sous_categorie codes; [] when there is no sous_categorie.
func CleanPropositionServices(in Row, _ *SourceConfig) (Row, error) {
	sscats := in.Get("sous_categorie_codes")
	ps := []Value{}
	if sscats.Truthy() {
		sorted := Strings(sortedStrings(sscats.StringItems())...)
		actions := in.Get("action_codes").StringItems()
		sort.Strings(actions)
		for _, a := range actions {
			ps = append(ps, Object(NewRow(Field{"action", String(a)}, Field{"sous_categories", sorted})))
		}
	}
	return NewRow(Field{"proposition_service_codes", List(ps...)}), nil
}

// MergeSousCategoriesColumns is the dataframe transform
// merge_sous_categories_columns: the non-empty product columns joined with
// " | " into produitsdechets_acceptes.
func MergeSousCategoriesColumns(in Row, _ *SourceConfig) (Row, error) {
	var parts []string
	for _, f := range in.Fields() {
		if f.Value.Truthy() {
			parts = append(parts, f.Value.PyStr())
		}
	}
	return NewRow(Field{"produitsdechets_acceptes", String(strings.Join(parts, " | "))}), nil
}
