-- SQL of the apply DAGs, one statement per "-- name:" section. Statements
-- are text/template texts: {{.Table}} is the suggestion table
-- (data_suggestion or data_suggestiongroupe), a reference table, or the
-- acteur table (qfdmo_acteur or qfdmo_revisionacteur) with its relation
-- tables {{.Labels}}, {{.Services}} (owner column {{.OwnerFK}}), {{.PS}},
-- {{.PSSousCat}} (owner column {{.PSSousCatOwnerFK}}) and {{.Perimetre}}.
-- The acteur row itself is read and written by SQL built from the column
-- list (columns.go, record.go).

-- Suggestions and groups: the ATRAITER → ENCOURS → SUCCES | ERREUR cycle.

-- name: SuggestionCountToProcess
SELECT count(*) FROM {{.Table}} WHERE statut = 'ATRAITER';

-- name: SuggestionListToProcess
SELECT id FROM {{.Table}} WHERE statut = 'ATRAITER' AND id > $1 ORDER BY id LIMIT $2;

-- name: SuggestionClaim
UPDATE {{.Table}} SET statut = 'ENCOURS', modifie_le = $2 WHERE id = $1 AND statut = 'ATRAITER';

-- name: SuggestionSucceed
UPDATE {{.Table}} SET statut = 'SUCCES', modifie_le = $2 WHERE id = $1 AND statut = 'ENCOURS';

-- name: SuggestionFail
UPDATE {{.Table}} SET statut = 'ERREUR', metadata = $3, modifie_le = $2 WHERE id = $1 AND statut = 'ENCOURS';

-- name: SuggestionRelease
UPDATE {{.Table}} SET statut = 'ATRAITER', modifie_le = $2 WHERE id = $1 AND statut = 'ENCOURS';

-- name: LegacySuggestionGet
SELECT s.suggestion, c.type_action
FROM data_suggestion s JOIN data_suggestioncohorte c ON c.id = s.suggestion_cohorte_id
WHERE s.id = $1;

-- name: GroupeGet
SELECT g.acteur_id, g.revision_acteur_id, g.parent_revision_acteur_id, c.type_action
FROM data_suggestiongroupe g JOIN data_suggestioncohorte c ON c.id = g.suggestion_cohorte_id
WHERE g.id = $1;

-- name: GroupeUnits
SELECT id, suggestion_modele, champs, valeurs, acteur_id, revision_acteur_id, parent_revision_acteur_id
FROM data_suggestionunitaire WHERE suggestion_groupe_id = $1 ORDER BY id;

-- Reference tables (qfdmo_source, qfdmo_acteurtype, qfdmo_action,
-- qfdmo_labelqualite, qfdmo_acteurservice, qfdmo_souscategorieobjet).

-- name: RefIDByCode
SELECT id FROM {{.Table}} WHERE code = $1;

-- name: RefCodeByID
SELECT code FROM {{.Table}} WHERE id = $1;

-- name: SourceCreate
INSERT INTO qfdmo_source (libelle, code, afficher, licence) VALUES ('', $1, true, 'NO_LICENSE') RETURNING id;

-- Parents (RevisionActeur.duplicats).

-- name: RevisionChildren
SELECT identifiant_unique FROM qfdmo_revisionacteur WHERE parent_id = $1 ORDER BY identifiant_unique;

-- name: RevisionHasChildren
SELECT EXISTS (SELECT 1 FROM qfdmo_revisionacteur WHERE parent_id = $1);

-- name: RevisionUnlinkChildren
UPDATE qfdmo_revisionacteur SET parent_id = NULL WHERE parent_id = $1;

-- name: RevisionDelete
DELETE FROM qfdmo_revisionacteur WHERE identifiant_unique = $1;

-- Relations of an acteur or a revision.

-- name: LabelsClear
DELETE FROM {{.Labels}} WHERE {{.OwnerFK}} = $1;

-- name: LabelsAdd
INSERT INTO {{.Labels}} ({{.OwnerFK}}, labelqualite_id) VALUES ($1, $2) ON CONFLICT DO NOTHING;

-- name: ServicesClear
DELETE FROM {{.Services}} WHERE {{.OwnerFK}} = $1;

-- name: ServicesAdd
INSERT INTO {{.Services}} ({{.OwnerFK}}, acteurservice_id) VALUES ($1, $2) ON CONFLICT DO NOTHING;

-- name: PSSousCatClear
DELETE FROM {{.PSSousCat}} WHERE {{.PSSousCatOwnerFK}} IN (SELECT id FROM {{.PS}} WHERE acteur_id = $1);

-- name: PSClear
DELETE FROM {{.PS}} WHERE acteur_id = $1;

-- name: PSCreate
INSERT INTO {{.PS}} (acteur_id, action_id) VALUES ($1, $2) RETURNING id;

-- name: PSAddSousCat
INSERT INTO {{.PSSousCat}} ({{.PSSousCatOwnerFK}}, souscategorieobjet_id) VALUES ($1, $2) ON CONFLICT DO NOTHING;

-- name: PerimetreClear
DELETE FROM {{.Perimetre}} WHERE acteur_id = $1;

-- name: PerimetreCreate
INSERT INTO {{.Perimetre}} (acteur_id, type, valeur) VALUES ($1, $2, $3);

-- Copy of an Acteur's relations onto its new RevisionActeur
-- (RevisionActeur.save when creating).

-- name: CopyLabels
INSERT INTO qfdmo_revisionacteur_labels (revisionacteur_id, labelqualite_id)
SELECT $1::varchar, labelqualite_id FROM qfdmo_acteur_labels WHERE acteur_id = $1::varchar ORDER BY id
ON CONFLICT DO NOTHING;

-- name: CopyServices
INSERT INTO qfdmo_revisionacteur_acteur_services (revisionacteur_id, acteurservice_id)
SELECT $1::varchar, acteurservice_id FROM qfdmo_acteur_acteur_services WHERE acteur_id = $1::varchar ORDER BY id
ON CONFLICT DO NOTHING;

-- name: CopyPropositionServices
SELECT id, action_id FROM qfdmo_propositionservice WHERE acteur_id = $1::varchar ORDER BY id;

-- name: CopyPropositionServiceSousCats
INSERT INTO qfdmo_revisionpropositionservice_sous_categories (revisionpropositionservice_id, souscategorieobjet_id)
SELECT $2::integer, souscategorieobjet_id FROM qfdmo_propositionservice_sous_categories
WHERE propositionservice_id = $1::integer ORDER BY id
ON CONFLICT DO NOTHING;

-- name: CopyPerimetres
INSERT INTO qfdmo_revisionperimetreadomicile (acteur_id, type, valeur)
SELECT $1::varchar, type, valeur FROM qfdmo_perimetreadomicile WHERE acteur_id = $1::varchar ORDER BY id;

-- Source acteurs deleted by a legacy suggestion (QuerySet.update: no save,
-- modifie_le untouched).

-- name: StatutUpdate
UPDATE {{.Table}} SET statut = $2 WHERE identifiant_unique = $1;
