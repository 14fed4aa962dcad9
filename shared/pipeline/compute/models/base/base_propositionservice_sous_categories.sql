SELECT * FROM {{ source('qfdmo', 'qfdmo_propositionservice_sous_categories') }}
