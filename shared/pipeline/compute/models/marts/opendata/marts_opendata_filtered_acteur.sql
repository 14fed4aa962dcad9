-- Acteurs that may appear in the open-data export: active acteurs (with an
-- active or no parent) from a source published under the open licence
-- (qfdmo_source.licence = 'OPEN_LICENSE'), except the repairers of the
-- "_reparation_" feeds; plus the parents of those acteurs, which then
-- aggregate only their open children's services and sources.
WITH filtered_children_acteur AS (
    SELECT tva.*
    FROM {{ ref('int_acteur') }} AS tva
    LEFT JOIN {{ ref('int_acteur') }} AS tpva ON tva.parent_id = tpva.identifiant_unique
    LEFT JOIN {{ ref('base_source') }} AS ts ON tva.source_id = ts.id
    WHERE tva.statut = 'ACTIF'
        AND (tpva.statut IS NULL OR tpva.statut = 'ACTIF')
        AND ts.licence = 'OPEN_LICENSE'
        AND tva.identifiant_unique NOT LIKE '%\_reparation\_%'
),
filtered_parent_acteur AS (
    SELECT tva.*
    FROM {{ ref('int_acteur') }} AS tva
    WHERE tva.identifiant_unique IN (SELECT parent_id FROM filtered_children_acteur)
)
SELECT * FROM filtered_parent_acteur
UNION ALL
SELECT * FROM filtered_children_acteur
