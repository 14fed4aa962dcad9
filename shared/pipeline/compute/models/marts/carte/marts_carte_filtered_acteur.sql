-- Acteurs that may appear on the map: active, and whose parent (if any)
-- is active too.
SELECT tva.*
FROM {{ ref('int_acteur') }} AS tva
LEFT JOIN {{ ref('int_acteur') }} AS tpva ON tva.parent_id = tpva.identifiant_unique
WHERE tva.statut = 'ACTIF'
    AND (tpva.statut IS NULL OR tpva.statut = 'ACTIF')
