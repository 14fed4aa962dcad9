-- macro acteur_acteur_services(filtered_acteur, acteur)
-- Services of the shown acteurs: their own, plus a parent gets its
-- children's.
WITH acteur_acteur_services AS (
    SELECT aas.acteur_id, aas.acteurservice_id
    FROM {{ ref('int_acteur_acteur_services') }} AS aas
    INNER JOIN {{ ref(filtered_acteur) }} AS fa
        ON aas.acteur_id = fa.identifiant_unique AND fa.parent_id IS NULL
    UNION
    SELECT fa.parent_id, aas.acteurservice_id
    FROM {{ ref('int_acteur_acteur_services') }} AS aas
    INNER JOIN {{ ref(filtered_acteur) }} AS fa
        ON aas.acteur_id = fa.identifiant_unique AND fa.parent_id IS NOT NULL
)
SELECT ROW_NUMBER() OVER (ORDER BY aas.acteur_id, aas.acteurservice_id) AS id,
    aas.acteur_id, aas.acteurservice_id
FROM acteur_acteur_services AS aas
INNER JOIN {{ ref(acteur) }} AS a ON a.identifiant_unique = aas.acteur_id
