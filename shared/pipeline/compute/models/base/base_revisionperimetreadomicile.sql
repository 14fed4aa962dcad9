SELECT * FROM {{ source('qfdmo', 'qfdmo_revisionperimetreadomicile') }}
