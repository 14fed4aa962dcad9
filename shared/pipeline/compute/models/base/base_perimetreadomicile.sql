SELECT * FROM {{ source('qfdmo', 'qfdmo_perimetreadomicile') }}
