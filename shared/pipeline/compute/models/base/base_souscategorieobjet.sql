SELECT * FROM {{ source('qfdmo', 'qfdmo_souscategorieobjet') }}
