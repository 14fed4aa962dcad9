SELECT * FROM {{ source('qfdmo', 'qfdmo_revisionacteur_labels') }}
