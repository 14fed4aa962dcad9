SELECT * FROM {{ source('qfdmo', 'qfdmo_revisionacteur_acteur_services') }}
