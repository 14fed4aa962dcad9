-- Every acteur as the webapp shows it (LVAO int_acteur): an imported acteur
-- (qfdmo_acteur) and its revision (qfdmo_revisionacteur, a manual
-- correction with the same identifiant_unique) merged field by field. A
-- non-empty revision value wins; an empty revision text ('') means "not
-- corrected" and keeps the imported value. Revisions without an acteur are
-- kept too: they are the dedup parents, whose children point to them with
-- parent_id. A text neither side fills is '' (the webapp's columns are NOT
-- NULL with '' as default), so that a parent's empty fields stay empty
-- rather than NULL; nom has no such fallback: a nameless acteur fails the
-- not_null test.
SELECT
    -- The uuid the webapp's URLs use: shortuuid.uuid(name=identifiant_unique),
    -- i.e. base57(uuid5(NAMESPACE_DNS, identifiant_unique)).
    CAST(encode_base57(uuid_generate_v5('6ba7b810-9dad-11d1-80b4-00c04fd430c8'::uuid,
        COALESCE(ra.identifiant_unique, a.identifiant_unique)::text)) AS varchar(22)) AS uuid,
    {{ coalesce_empty('ra.identifiant_unique', 'a.identifiant_unique') }} AS identifiant_unique,
    {{ coalesce_empty('ra.nom', 'a.nom') }} AS nom,
    COALESCE({{ coalesce_empty('ra.description', 'a.description') }}, '') AS description,
    COALESCE(ra.acteur_type_id, a.acteur_type_id) AS acteur_type_id,
    COALESCE({{ coalesce_empty('ra.adresse', 'a.adresse') }}, '') AS adresse,
    COALESCE({{ coalesce_empty('ra.adresse_complement', 'a.adresse_complement') }}, '') AS adresse_complement,
    COALESCE({{ coalesce_empty('ra.code_postal', 'a.code_postal') }}, '') AS code_postal,
    COALESCE({{ coalesce_empty('ra.ville', 'a.ville') }}, '') AS ville,
    COALESCE({{ coalesce_empty('ra.url', 'a.url') }}, '') AS url,
    COALESCE({{ coalesce_empty('ra.email', 'a.email') }}, '') AS email,
    COALESCE(ra.location, a.location) AS location,
    COALESCE({{ coalesce_empty('ra.telephone', 'a.telephone') }}, '') AS telephone,
    COALESCE({{ coalesce_empty('ra.nom_commercial', 'a.nom_commercial') }}, '') AS nom_commercial,
    COALESCE({{ coalesce_empty('ra.nom_officiel', 'a.nom_officiel') }}, '') AS nom_officiel,
    COALESCE({{ coalesce_empty('ra.siren', 'a.siren') }}, '') AS siren,
    COALESCE({{ coalesce_empty('ra.siret', 'a.siret') }}, '') AS siret,
    COALESCE(ra.source_id, a.source_id) AS source_id,
    COALESCE({{ coalesce_empty('ra.identifiant_externe', 'a.identifiant_externe') }}, '') AS identifiant_externe,
    {{ coalesce_empty('ra.statut', 'a.statut') }} AS statut,
    COALESCE({{ coalesce_empty('ra.naf_principal', 'a.naf_principal') }}, '') AS naf_principal,
    COALESCE({{ coalesce_empty('ra.commentaires', 'a.commentaires') }}, '') AS commentaires,
    COALESCE({{ coalesce_empty('ra.horaires_osm', 'a.horaires_osm') }}, '') AS horaires_osm,
    COALESCE({{ coalesce_empty('ra.horaires_description', 'a.horaires_description') }}, '') AS horaires_description,
    COALESCE({{ coalesce_empty('ra.public_accueilli', 'a.public_accueilli') }}, '') AS public_accueilli,
    COALESCE({{ coalesce_empty('ra.reprise', 'a.reprise') }}, '') AS reprise,
    COALESCE(ra.exclusivite_de_reprisereparation, a.exclusivite_de_reprisereparation) AS exclusivite_de_reprisereparation,
    COALESCE(ra.uniquement_sur_rdv, a.uniquement_sur_rdv) AS uniquement_sur_rdv,
    COALESCE({{ coalesce_empty('ra.consignes_dacces', 'a.consignes_dacces') }}, '') AS consignes_dacces,
    COALESCE(ra.action_principale_id, a.action_principale_id) AS action_principale_id,
    {{ coalesce_empty('ra.lieu_prestation', 'a.lieu_prestation') }} AS lieu_prestation,
    COALESCE(ra.modifie_le, a.modifie_le) AS modifie_le,
    ra.parent_id AS parent_id,
    COALESCE(a.cree_le, ra.cree_le) AS cree_le,
    COALESCE(ra.siret_is_closed, a.siret_is_closed) AS siret_is_closed,
    ra.identifiant_unique IS NOT NULL AS revision_existe
FROM {{ ref('base_acteur') }} AS a
FULL JOIN {{ ref('base_revisionacteur') }} AS ra
    ON a.identifiant_unique = ra.identifiant_unique
