-- qfdmo_vueacteur_sources: one row per (acteur, source).
SELECT MIN(s.id)::bigint AS id, s.acteur_id::varchar AS vueacteur_id, s.source_id::integer AS source_id
FROM {{ ref('marts_exhaustive_acteur_sources') }} AS s
INNER JOIN {{ ref('exposure_exhaustive_acteur') }} AS a ON a.identifiant_unique = s.acteur_id
GROUP BY s.acteur_id, s.source_id
