-- qfdmo_displayedacteur_sources: one row per (acteur, source), even when
-- two children of a parent come from the same source.
SELECT MIN(s.id)::bigint AS id, s.acteur_id::varchar AS displayedacteur_id, s.source_id::integer AS source_id
FROM {{ ref('marts_carte_acteur_sources') }} AS s
INNER JOIN {{ ref('exposure_carte_acteur') }} AS a ON a.identifiant_unique = s.acteur_id
GROUP BY s.acteur_id, s.source_id
