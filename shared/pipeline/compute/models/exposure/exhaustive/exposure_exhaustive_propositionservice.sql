-- qfdmo_vuepropositionservice.
SELECT ps.id::varchar AS id, ps.action_id::integer AS action_id, ps.acteur_id::varchar AS acteur_id
FROM {{ ref('int_propositionservice') }} AS ps
INNER JOIN {{ ref('exposure_exhaustive_acteur') }} AS a ON a.identifiant_unique = ps.acteur_id
