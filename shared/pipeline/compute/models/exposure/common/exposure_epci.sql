-- qfdmo_epci: the EPCI acteurs point to (epci_id).
SELECT id::integer AS id, code_epci::varchar AS code, nom_epci::varchar AS nom
FROM {{ ref('int_epci') }}
