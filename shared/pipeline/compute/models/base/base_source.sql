SELECT * FROM {{ source('qfdmo', 'qfdmo_source') }}
