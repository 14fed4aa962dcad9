-- macro propositionservice(filtered_propositionservice, propositionservice_sous_categories)
-- A proposition de service is shown only with at least one sous-catégorie.
SELECT ps.id, ps.acteur_id, ps.action_id
FROM {{ ref(filtered_propositionservice) }} AS ps
WHERE EXISTS (
    SELECT 1 FROM {{ ref(propositionservice_sous_categories) }} AS pssc
    WHERE pssc.propositionservice_id = ps.id
)
