SELECT * FROM {{ source('qfdmo', 'qfdmo_propositionservice') }}
