-- macro perimetreadomicile(acteur)
-- Home-service perimeters of the shown acteurs.
SELECT pad.id, pad.acteur_id, pad.type, pad.valeur
FROM {{ ref('int_perimetreadomicile') }} AS pad
INNER JOIN {{ ref(acteur) }} AS a ON pad.acteur_id = a.identifiant_unique
