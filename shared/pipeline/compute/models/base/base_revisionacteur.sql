SELECT * FROM {{ source('qfdmo', 'qfdmo_revisionacteur') }}
