-- macro propositionservice_sous_categories(filtered_acteur, filtered_propositionservice, filtered_parentpropositionservice)
-- Sous-catégories of the shown propositions de service: a parent's
-- (parent, action) gets the union of its children's sous-catégories for
-- that action.
WITH propositionservice_sous_categories AS (
    SELECT CONCAT(pps.parent_id, '_', pps.action_id::varchar)::varchar AS propositionservice_id,
        pssc.souscategorieobjet_id
    FROM {{ ref('int_propositionservice_sous_categories') }} AS pssc
    INNER JOIN {{ ref(filtered_parentpropositionservice) }} AS pps
        ON pps.id = pssc.propositionservice_id
    UNION
    SELECT pssc.propositionservice_id, pssc.souscategorieobjet_id
    FROM {{ ref('int_propositionservice_sous_categories') }} AS pssc
    INNER JOIN {{ ref(filtered_propositionservice) }} AS ps ON pssc.propositionservice_id = ps.id
    INNER JOIN {{ ref(filtered_acteur) }} AS fa
        ON ps.acteur_id = fa.identifiant_unique AND fa.parent_id IS NULL
)
SELECT ROW_NUMBER() OVER (ORDER BY propositionservice_id, souscategorieobjet_id) AS id,
    propositionservice_id, souscategorieobjet_id
FROM propositionservice_sous_categories
