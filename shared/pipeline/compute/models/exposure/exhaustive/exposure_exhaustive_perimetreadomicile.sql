-- qfdmo_vueperimetreadomicile.
SELECT pad.id::bigint AS id, pad.acteur_id::varchar AS acteur_id, pad.type::varchar AS type, pad.valeur::varchar AS valeur
FROM {{ ref('int_perimetreadomicile') }} AS pad
INNER JOIN {{ ref('exposure_exhaustive_acteur') }} AS a ON a.identifiant_unique = pad.acteur_id
