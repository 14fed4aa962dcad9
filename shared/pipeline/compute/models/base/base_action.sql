SELECT * FROM {{ source('qfdmo', 'qfdmo_action') }}
