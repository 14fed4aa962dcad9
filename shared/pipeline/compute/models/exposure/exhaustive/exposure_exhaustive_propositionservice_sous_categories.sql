-- qfdmo_vuepropositionservice_sous_categories.
SELECT pssc.id::bigint AS id,
    pssc.propositionservice_id::varchar AS vuepropositionservice_id,
    pssc.souscategorieobjet_id::integer AS souscategorieobjet_id
FROM {{ ref('int_propositionservice_sous_categories') }} AS pssc
INNER JOIN {{ ref('exposure_exhaustive_propositionservice') }} AS ps ON ps.id = pssc.propositionservice_id
