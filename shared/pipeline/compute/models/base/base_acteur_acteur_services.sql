SELECT * FROM {{ source('qfdmo', 'qfdmo_acteur_acteur_services') }}
