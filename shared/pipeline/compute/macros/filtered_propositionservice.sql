-- macro filtered_propositionservice(filtered_acteur, filtered_parentpropositionservice)
-- The propositions de service shown: one per (parent, action) for the
-- children's (id <parent>_<action_id>), and their own for acteurs without
-- a parent. Children have none of their own: they are not shown.
SELECT CONCAT(pps.parent_id, '_', pps.action_id::varchar)::varchar AS id,
    pps.parent_id AS acteur_id,
    pps.action_id
FROM {{ ref(filtered_parentpropositionservice) }} AS pps
GROUP BY pps.parent_id, pps.action_id
UNION ALL
SELECT ps.id, ps.acteur_id, ps.action_id
FROM {{ ref('int_propositionservice') }} AS ps
INNER JOIN {{ ref(filtered_acteur) }} AS fa
    ON ps.acteur_id = fa.identifiant_unique AND fa.parent_id IS NULL
