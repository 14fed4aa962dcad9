-- macro filtered_parentpropositionservice(filtered_acteur)
-- The propositions de service of the children (acteurs with a parent_id)
-- among the filtered acteurs, with their parent: LVAO shows a dedup
-- cluster as its parent, which offers what its children offer.
SELECT ps.id, fa.parent_id, ps.acteur_id, ps.action_id
FROM {{ ref('int_propositionservice') }} AS ps
INNER JOIN {{ ref(filtered_acteur) }} AS fa
    ON ps.acteur_id = fa.identifiant_unique AND fa.parent_id IS NOT NULL
