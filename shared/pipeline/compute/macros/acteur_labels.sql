-- macro acteur_labels(filtered_acteur, acteur)
-- Labels of the shown acteurs: their own, plus a parent gets its
-- children's.
WITH acteur_labels AS (
    SELECT al.acteur_id, al.labelqualite_id
    FROM {{ ref('int_acteur_labels') }} AS al
    INNER JOIN {{ ref(filtered_acteur) }} AS fa
        ON al.acteur_id = fa.identifiant_unique AND fa.parent_id IS NULL
    UNION
    SELECT fa.parent_id, al.labelqualite_id
    FROM {{ ref('int_acteur_labels') }} AS al
    INNER JOIN {{ ref(filtered_acteur) }} AS fa
        ON al.acteur_id = fa.identifiant_unique AND fa.parent_id IS NOT NULL
)
SELECT ROW_NUMBER() OVER (ORDER BY al.acteur_id, al.labelqualite_id) AS id,
    al.acteur_id, al.labelqualite_id
FROM acteur_labels AS al
INNER JOIN {{ ref(acteur) }} AS a ON a.identifiant_unique = al.acteur_id
