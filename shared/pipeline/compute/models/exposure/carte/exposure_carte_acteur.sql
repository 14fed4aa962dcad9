-- qfdmo_displayedacteur: the acteurs pinned on the map. LVAO leaves out
-- those that only serve at home (lieu_prestation A_DOMICILE).
SELECT {{ final_acteur_columns('a') }}
FROM {{ ref('marts_carte_acteur') }} AS a
WHERE a.lieu_prestation IS DISTINCT FROM 'A_DOMICILE'
