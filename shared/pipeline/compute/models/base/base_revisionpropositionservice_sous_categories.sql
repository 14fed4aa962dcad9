SELECT * FROM {{ source('qfdmo', 'qfdmo_revisionpropositionservice_sous_categories') }}
