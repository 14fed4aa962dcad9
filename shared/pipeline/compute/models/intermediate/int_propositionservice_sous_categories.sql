-- The sous-catégories of int_propositionservice's rows.
WITH propositionservice_sous_categories AS (
    SELECT ps.id AS propositionservice_id, pssc.souscategorieobjet_id
    FROM {{ ref('base_propositionservice_sous_categories') }} AS pssc
    INNER JOIN {{ ref('int_propositionservice') }} AS ps
        ON ps.ps_id = pssc.propositionservice_id AND NOT ps.revision_existe
    UNION ALL
    SELECT ps.id AS propositionservice_id, rpssc.souscategorieobjet_id
    FROM {{ ref('base_revisionpropositionservice_sous_categories') }} AS rpssc
    INNER JOIN {{ ref('int_propositionservice') }} AS ps
        ON ps.rps_id = rpssc.revisionpropositionservice_id AND ps.revision_existe
)
SELECT ROW_NUMBER() OVER (ORDER BY propositionservice_id, souscategorieobjet_id) AS id,
    propositionservice_id, souscategorieobjet_id
FROM propositionservice_sous_categories
