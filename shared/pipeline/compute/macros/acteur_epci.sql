-- macro acteur_epci(filtered_acteur)
-- LVAO finds an acteur's commune from its postcode (La Poste's base) and,
-- among the communes of that postcode, the one whose name is most similar
-- to the acteur's ville (pg_trgm similarity > 0.3, upper-cased and
-- unaccented, " ARRONDISSEMENT" dropped); the commune gives the EPCI.
-- Ties go to the smallest INSEE code, for a stable result.
WITH candidates AS (
    SELECT
        acteur.identifiant_unique,
        acteur.code_postal,
        laposte.code_commune_insee,
        epci.code_epci,
        epci.nom_epci,
        similarity(upper(unaccent(acteur.ville)),
            replace(upper(unaccent(epci.nom_commune)), ' ARRONDISSEMENT', '')) AS similarity_score
    FROM {{ ref(filtered_acteur) }} AS acteur
    INNER JOIN {{ source('clone', 'clone_laposte_code_postal_in_use') }} AS laposte
        ON acteur.code_postal = laposte.code_postal
    INNER JOIN {{ source('clone', 'clone_koumoul_epci_in_use') }} AS epci
        ON laposte.code_commune_insee = epci.code_commune
),
ranked AS (
    SELECT candidates.*,
        ROW_NUMBER() OVER (PARTITION BY identifiant_unique
            ORDER BY similarity_score DESC, code_commune_insee) AS rank
    FROM candidates
    WHERE similarity_score > 0.3
)
SELECT identifiant_unique, code_postal, code_commune_insee, code_epci, nom_epci, similarity_score
FROM ranked
WHERE rank = 1 AND code_postal IS NOT NULL
