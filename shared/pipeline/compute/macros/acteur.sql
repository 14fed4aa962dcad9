-- macro acteur(filtered_acteur, propositionservice, acteur_epci)
-- The acteurs shown: filtered acteurs that offer at least one proposition
-- de service (so children, whose services moved to their parent, are not
-- shown), except those open to nobody or to professionals only. Revision
-- texts '__empty__' become ''. A parent's lieu_prestation aggregates its
-- children's, in LVAO's order: SUR_PLACE_OU_A_DOMICILE, then A_DOMICILE,
-- then SUR_PLACE.
WITH parent_lieu_prestation AS (
    SELECT enfant.parent_id AS acteur_id,
        CASE
            WHEN BOOL_OR(enfant.lieu_prestation = 'SUR_PLACE_OU_A_DOMICILE') THEN 'SUR_PLACE_OU_A_DOMICILE'
            WHEN BOOL_OR(enfant.lieu_prestation = 'A_DOMICILE') THEN 'A_DOMICILE'
            WHEN BOOL_OR(enfant.lieu_prestation = 'SUR_PLACE') THEN 'SUR_PLACE'
        END AS lieu_prestation
    FROM {{ ref(filtered_acteur) }} AS enfant
    WHERE enfant.parent_id IS NOT NULL AND enfant.lieu_prestation IS NOT NULL
    GROUP BY enfant.parent_id
)
SELECT
    efa.uuid,
    efa.identifiant_unique,
    efa.nom,
    {{ field_empty('efa.description') }} AS description,
    efa.acteur_type_id,
    {{ field_empty('efa.adresse') }} AS adresse,
    {{ field_empty('efa.adresse_complement') }} AS adresse_complement,
    {{ field_empty('efa.code_postal') }} AS code_postal,
    {{ field_empty('efa.ville') }} AS ville,
    {{ field_empty('efa.url') }} AS url,
    {{ field_empty('efa.email') }} AS email,
    efa.location,
    {{ field_empty('efa.telephone') }} AS telephone,
    {{ field_empty('efa.nom_commercial') }} AS nom_commercial,
    {{ field_empty('efa.nom_officiel') }} AS nom_officiel,
    {{ field_empty('efa.siren') }} AS siren,
    {{ field_empty('efa.siret') }} AS siret,
    efa.source_id,
    efa.identifiant_externe,
    efa.naf_principal,
    {{ field_empty('efa.commentaires') }} AS commentaires,
    {{ field_empty('efa.horaires_osm') }} AS horaires_osm,
    {{ field_empty('efa.horaires_description') }} AS horaires_description,
    efa.public_accueilli,
    efa.reprise,
    efa.exclusivite_de_reprisereparation,
    efa.uniquement_sur_rdv,
    {{ field_empty('efa.consignes_dacces') }} AS consignes_dacces,
    efa.action_principale_id,
    CASE WHEN plp.acteur_id IS NOT NULL THEN plp.lieu_prestation ELSE efa.lieu_prestation END AS lieu_prestation,
    efa.modifie_le,
    efa.cree_le,
    efa.statut,
    efa.siret_is_closed,
    COALESCE(aepci.code_commune_insee, '') AS code_commune_insee,
    epci.id AS epci_id
FROM {{ ref(filtered_acteur) }} AS efa
LEFT JOIN parent_lieu_prestation AS plp ON efa.identifiant_unique = plp.acteur_id
LEFT JOIN {{ ref(acteur_epci) }} AS aepci ON efa.identifiant_unique = aepci.identifiant_unique
LEFT JOIN {{ ref('int_epci') }} AS epci ON aepci.code_epci = epci.code_epci
WHERE EXISTS (SELECT 1 FROM {{ ref(propositionservice) }} AS ps WHERE ps.acteur_id = efa.identifiant_unique)
    AND (efa.public_accueilli IS NULL OR UPPER(efa.public_accueilli) NOT IN {{ public_accueilli_exclus() }})
