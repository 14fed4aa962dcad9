-- qfdmo_displayedacteur_labels.
SELECT l.id::bigint AS id, l.acteur_id::varchar AS displayedacteur_id, l.labelqualite_id::integer AS labelqualite_id
FROM {{ ref('marts_carte_acteur_labels') }} AS l
INNER JOIN {{ ref('exposure_carte_acteur') }} AS a ON a.identifiant_unique = l.acteur_id
