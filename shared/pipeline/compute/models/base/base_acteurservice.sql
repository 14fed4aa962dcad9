SELECT * FROM {{ source('qfdmo', 'qfdmo_acteurservice') }}
