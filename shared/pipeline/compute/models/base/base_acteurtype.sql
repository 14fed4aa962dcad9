SELECT * FROM {{ source('qfdmo', 'qfdmo_acteurtype') }}
