package suggest

// The statistics LVAO writes in data_suggestioncohorte.metadata, under
// its French keys: the normalisation's row filters (the normalize task's
// metadata, given by the caller), the size of the cohort
// (db_data_prepare), the logs (_build_suggestion_logs) and, for updates,
// keep_acteur_changed's counts by field.
const (
	MetaActeursToCreate = "Nombre d'acteurs à créer"
	MetaActeursToUpdate = "Nombre d'acteurs à mettre à jour"
	MetaActeursToDelete = "Nombre d'acteurs à supprimer"

	MetaErrorLines       = "nombre de lignes non-traitees à cause d'erreurs"
	MetaIgnoredValues    = "nombre de valeurs de champs ignorées"
	MetaIgnoredUpdated   = "nombre de modifications de champs ignorées parmis les acteurs à mettre à jour"
	MetaIgnoredUnchanged = "nombre de modifications de champs ignorées parmis les acteurs non modifiés"

	MetaUpdatesByField    = "Nombre de mises à jour par champ"
	MetaAnonymizedIgnored = "Nombre d'acteurs mis à jour ignorés car anonymisés pour RGPD"
)

// cohortMetadata builds one cohort's metadata. LVAO merges the normalize
// task's metadata into every cohort, keep_acteur_changed's only into
// MODIF; a log count is set only when non-zero.
func cohortMetadata(a Action, n int, normalize map[string]string, diff DiffStats, lc logCounts) map[string]any {
	m := make(map[string]any, len(normalize)+4)
	for k, v := range normalize {
		m[k] = v
	}
	setNonZero := func(k string, v int) {
		if v != 0 {
			m[k] = v
		}
	}
	switch a {
	case ActionCreate:
		m[MetaActeursToCreate] = n
		setNonZero(MetaErrorLines, lc.createErrors)
		setNonZero(MetaIgnoredValues, lc.createWarnings)
	case ActionDelete:
		m[MetaActeursToDelete] = n
	case ActionUpdate:
		m[MetaActeursToUpdate] = n
		setNonZero(MetaIgnoredUpdated, lc.updateWarnings)
		setNonZero(MetaIgnoredUnchanged, lc.leftoverWarnings)
		setNonZero(MetaAnonymizedIgnored, diff.AnonymizedIgnored)
		if len(diff.UpdatesByField) > 0 {
			// {" ": ["MODIF", "SUP", "AJOUT"], "<field>": [modif, sup, ajout]}
			byField := map[string]any{" ": []string{"MODIF", "SUP", "AJOUT"}}
			for f, d := range diff.UpdatesByField {
				byField[f] = []int{d.Modif, d.Sup, d.Ajout}
			}
			m[MetaUpdatesByField] = byField
		}
	}
	return m
}
