-- The EPCI (groupings of communes) acteurs are attached to, numbered by
-- code. One row per code: LVAO groups by (code, name), which would give an
-- acteur two EPCI rows if the reference data spelled a name two ways.
SELECT
    CAST(ROW_NUMBER() OVER (ORDER BY epci.code_epci) AS integer) AS id,
    epci.code_epci,
    MIN(epci.nom_epci) AS nom_epci
FROM {{ source('clone', 'clone_koumoul_epci_in_use') }} AS epci
WHERE epci.code_epci IS NOT NULL AND epci.code_epci <> ''
    AND epci.nom_epci IS NOT NULL AND epci.nom_epci <> ''
GROUP BY epci.code_epci
