-- An acteur's labels: its revision's when it has a revision (the webapp
-- copies the m2m into the revision when it creates one), else the imported
-- acteur's.
WITH acteur_labels AS (
    SELECT al.acteur_id, al.labelqualite_id
    FROM {{ ref('base_acteur_labels') }} AS al
    INNER JOIN {{ ref('int_acteur') }} AS a
        ON al.acteur_id = a.identifiant_unique AND NOT a.revision_existe
    UNION
    SELECT ral.revisionacteur_id, ral.labelqualite_id
    FROM {{ ref('base_revisionacteur_labels') }} AS ral
    INNER JOIN {{ ref('int_acteur') }} AS a
        ON ral.revisionacteur_id = a.identifiant_unique AND a.revision_existe
)
SELECT ROW_NUMBER() OVER (ORDER BY acteur_id, labelqualite_id) AS id, acteur_id, labelqualite_id
FROM acteur_labels
