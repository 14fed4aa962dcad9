-- Every acteur for the admin's exhaustive view (LVAO
-- marts_exhaustive_acteur): int_acteur plus its commune and EPCI, its
-- coordinates, whether it is a parent (and its children), and whether the
-- map and the open-data export show it.
WITH enfants AS (
    SELECT parent_id, jsonb_agg(identifiant_unique ORDER BY identifiant_unique) AS enfants
    FROM {{ ref('base_revisionacteur') }}
    WHERE parent_id IS NOT NULL
    GROUP BY parent_id
)
SELECT
    a.*,
    COALESCE(cae.code_commune_insee, '') AS code_commune_insee,
    epci.id AS epci_id,
    CAST(ST_Y(a.location::geometry) AS double precision) AS latitude,
    CAST(ST_X(a.location::geometry) AS double precision) AS longitude,
    e.enfants IS NOT NULL AS est_parent,
    e.enfants AS liste_enfants,
    jsonb_array_length(e.enfants) AS nombre_enfants,
    ca.identifiant_unique IS NOT NULL AS est_dans_carte,
    oa.identifiant_unique IS NOT NULL AS est_dans_opendata
FROM {{ ref('int_acteur') }} AS a
LEFT JOIN enfants AS e ON a.identifiant_unique = e.parent_id
LEFT JOIN {{ ref('marts_carte_acteur') }} AS ca ON a.identifiant_unique = ca.identifiant_unique
LEFT JOIN {{ ref('marts_opendata_acteur') }} AS oa ON a.identifiant_unique = oa.identifiant_unique
LEFT JOIN {{ ref('marts_exhaustive_acteur_epci') }} AS cae ON a.identifiant_unique = cae.identifiant_unique
LEFT JOIN {{ ref('int_epci') }} AS epci ON cae.code_epci = epci.code_epci
