-- An acteur's propositions de service (action + sous-catégories): its
-- revision's when it has one, else the imported acteur's. Ids are
-- PS_<id> / RPS_<id> so that both kinds live in one table.
SELECT
    CONCAT('PS_', ps.id::varchar)::varchar AS id,
    ps.acteur_id,
    ps.action_id,
    ps.id::integer AS ps_id,
    NULL::integer AS rps_id,
    false AS revision_existe
FROM {{ ref('base_propositionservice') }} AS ps
INNER JOIN {{ ref('int_acteur') }} AS a
    ON ps.acteur_id = a.identifiant_unique AND NOT a.revision_existe
UNION ALL
SELECT
    CONCAT('RPS_', rps.id::varchar)::varchar AS id,
    rps.acteur_id,
    rps.action_id,
    NULL::integer AS ps_id,
    rps.id::integer AS rps_id,
    true AS revision_existe
FROM {{ ref('base_revisionpropositionservice') }} AS rps
INNER JOIN {{ ref('int_acteur') }} AS a
    ON rps.acteur_id = a.identifiant_unique AND a.revision_existe
