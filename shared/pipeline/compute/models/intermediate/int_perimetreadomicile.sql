-- Where an acteur serves at home (département or distance): its
-- revision's perimeters when it has a revision, else the imported ones.
WITH perimetreadomicile AS (
    SELECT pad.acteur_id, pad.type, pad.valeur
    FROM {{ ref('base_perimetreadomicile') }} AS pad
    INNER JOIN {{ ref('int_acteur') }} AS a
        ON pad.acteur_id = a.identifiant_unique AND NOT a.revision_existe
    UNION ALL
    SELECT rpad.acteur_id, rpad.type, rpad.valeur
    FROM {{ ref('base_revisionperimetreadomicile') }} AS rpad
    INNER JOIN {{ ref('int_acteur') }} AS a
        ON rpad.acteur_id = a.identifiant_unique AND a.revision_existe
)
SELECT ROW_NUMBER() OVER (ORDER BY acteur_id, type, valeur) AS id, acteur_id, type, valeur
FROM perimetreadomicile
