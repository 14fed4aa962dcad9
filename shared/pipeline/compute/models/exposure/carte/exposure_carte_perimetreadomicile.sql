-- qfdmo_displayedperimetreadomicile.
SELECT pad.id::bigint AS id, pad.acteur_id::varchar AS acteur_id, pad.type::varchar AS type, pad.valeur::varchar AS valeur
FROM {{ ref('marts_carte_perimetreadomicile') }} AS pad
INNER JOIN {{ ref('exposure_carte_acteur') }} AS a ON a.identifiant_unique = pad.acteur_id
