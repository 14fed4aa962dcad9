-- qfdmo_vueacteur_acteur_services.
SELECT s.id::bigint AS id, s.acteur_id::varchar AS vueacteur_id, s.acteurservice_id::integer AS acteurservice_id
FROM {{ ref('int_acteur_acteur_services') }} AS s
INNER JOIN {{ ref('exposure_exhaustive_acteur') }} AS a ON a.identifiant_unique = s.acteur_id
