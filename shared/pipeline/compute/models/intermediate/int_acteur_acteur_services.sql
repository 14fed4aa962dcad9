-- An acteur's services: its revision's when it has one, else the imported
-- acteur's (same rule as the labels).
WITH acteur_acteur_services AS (
    SELECT aas.acteur_id, aas.acteurservice_id
    FROM {{ ref('base_acteur_acteur_services') }} AS aas
    INNER JOIN {{ ref('int_acteur') }} AS a
        ON aas.acteur_id = a.identifiant_unique AND NOT a.revision_existe
    UNION
    SELECT raas.revisionacteur_id, raas.acteurservice_id
    FROM {{ ref('base_revisionacteur_acteur_services') }} AS raas
    INNER JOIN {{ ref('int_acteur') }} AS a
        ON raas.revisionacteur_id = a.identifiant_unique AND a.revision_existe
)
SELECT ROW_NUMBER() OVER (ORDER BY acteur_id, acteurservice_id) AS id, acteur_id, acteurservice_id
FROM acteur_acteur_services
