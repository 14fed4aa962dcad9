-- qfdmo_vueacteur_labels.
SELECT l.id::bigint AS id, l.acteur_id::varchar AS vueacteur_id, l.labelqualite_id::integer AS labelqualite_id
FROM {{ ref('int_acteur_labels') }} AS l
INNER JOIN {{ ref('exposure_exhaustive_acteur') }} AS a ON a.identifiant_unique = l.acteur_id
