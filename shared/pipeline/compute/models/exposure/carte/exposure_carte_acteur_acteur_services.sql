-- qfdmo_displayedacteur_acteur_services.
SELECT s.id::bigint AS id, s.acteur_id::varchar AS displayedacteur_id, s.acteurservice_id::integer AS acteurservice_id
FROM {{ ref('marts_carte_acteur_acteur_services') }} AS s
INNER JOIN {{ ref('exposure_carte_acteur') }} AS a ON a.identifiant_unique = s.acteur_id
