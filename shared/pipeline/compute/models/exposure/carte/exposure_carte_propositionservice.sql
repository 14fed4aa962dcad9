-- qfdmo_displayedpropositionservice.
SELECT ps.id::varchar AS id, ps.action_id::integer AS action_id, ps.acteur_id::varchar AS acteur_id
FROM {{ ref('marts_carte_propositionservice') }} AS ps
INNER JOIN {{ ref('exposure_carte_acteur') }} AS a ON a.identifiant_unique = ps.acteur_id
