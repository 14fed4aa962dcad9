-- qfdmo_vueacteur: every acteur, revision applied, for the admin.
SELECT {{ final_acteur_columns('a') }},
    a.parent_id::varchar AS parent_id,
    a.revision_existe::boolean AS revision_existe,
    a.est_parent::boolean AS est_parent,
    a.liste_enfants::jsonb AS liste_enfants,
    a.nombre_enfants::integer AS nombre_enfants,
    a.est_dans_carte::boolean AS est_dans_carte,
    a.est_dans_opendata::boolean AS est_dans_opendata,
    a.latitude::double precision AS latitude,
    a.longitude::double precision AS longitude
FROM {{ ref('marts_exhaustive_acteur') }} AS a
