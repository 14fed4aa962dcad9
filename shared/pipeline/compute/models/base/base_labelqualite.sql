SELECT * FROM {{ source('qfdmo', 'qfdmo_labelqualite') }}
