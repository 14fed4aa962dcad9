-- macro acteur_sources(filtered_acteur, acteur)
-- Sources of the shown acteurs, with the acteur's id at that source: an
-- acteur's own source, and a parent (which has none) gets its children's.
WITH acteur_sources AS (
    SELECT fa.identifiant_unique AS acteur_id, fa.source_id, fa.identifiant_externe
    FROM {{ ref(filtered_acteur) }} AS fa
    WHERE fa.source_id IS NOT NULL
    UNION
    SELECT fa.parent_id, fa.source_id, fa.identifiant_externe
    FROM {{ ref(filtered_acteur) }} AS fa
    WHERE fa.parent_id IS NOT NULL AND fa.source_id IS NOT NULL
)
SELECT ROW_NUMBER() OVER (ORDER BY s.acteur_id, s.source_id, s.identifiant_externe) AS id,
    s.acteur_id, s.source_id, s.identifiant_externe
FROM acteur_sources AS s
INNER JOIN {{ ref(acteur) }} AS a ON a.identifiant_unique = s.acteur_id
