-- qfdmo_displayedpropositionservice_sous_categories.
SELECT pssc.id::bigint AS id,
    pssc.propositionservice_id::varchar AS displayedpropositionservice_id,
    pssc.souscategorieobjet_id::integer AS souscategorieobjet_id
FROM {{ ref('marts_carte_propositionservice_sous_categories') }} AS pssc
INNER JOIN {{ ref('exposure_carte_propositionservice') }} AS ps ON ps.id = pssc.propositionservice_id
