SELECT * FROM {{ source('qfdmo', 'qfdmo_revisionpropositionservice') }}
