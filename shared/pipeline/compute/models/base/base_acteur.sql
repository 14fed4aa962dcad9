SELECT * FROM {{ source('qfdmo', 'qfdmo_acteur') }}
