-- The open-data export (LVAO exposure_opendata_acteur, published as
-- acteurs.csv): one row per open-data acteur, column names and order as
-- LVAO's. Aggregates are ordered so that the file is reproducible.
WITH deduplicated_opened_sources AS (
    SELECT
        da.uuid,
        string_agg(DISTINCT source.libelle, '|' ORDER BY source.libelle) AS sources_list,
        -- {source libellé: the acteur's id at that source}, one per source row.
        jsonb_agg(jsonb_build_object(source.libelle, das.identifiant_externe)
            ORDER BY source.libelle, das.identifiant_externe)
            FILTER (WHERE source.libelle IS NOT NULL) AS identifiants_par_source
    FROM {{ ref('marts_opendata_acteur') }} AS da
    LEFT JOIN {{ ref('marts_opendata_acteur_sources') }} AS das ON da.identifiant_unique = das.acteur_id
    LEFT JOIN {{ ref('base_source') }} AS source ON das.source_id = source.id
    GROUP BY da.uuid
),
proposition_services AS (
    SELECT
        da.uuid,
        jsonb_agg(
            jsonb_build_object(
                'action', a.code,
                'sous_categories', (
                    SELECT jsonb_agg(sco.code ORDER BY sco.code)
                    FROM {{ ref('marts_opendata_propositionservice_sous_categories') }} AS pssc
                    JOIN {{ ref('base_souscategorieobjet') }} AS sco ON pssc.souscategorieobjet_id = sco.id
                    WHERE pssc.propositionservice_id = ps.id
                )
            ) ORDER BY a.code
        ) AS services
    FROM {{ ref('marts_opendata_acteur') }} AS da
    JOIN {{ ref('marts_opendata_propositionservice') }} AS ps ON ps.acteur_id = da.identifiant_unique
    JOIN {{ ref('base_action') }} AS a ON ps.action_id = a.id
    GROUP BY da.uuid
),
acteur_labels AS (
    SELECT da.uuid, string_agg(DISTINCT lq.code, '|' ORDER BY lq.code) AS labels
    FROM {{ ref('marts_opendata_acteur') }} AS da
    LEFT JOIN {{ ref('marts_opendata_acteur_labels') }} AS dal ON da.identifiant_unique = dal.acteur_id
    LEFT JOIN {{ ref('base_labelqualite') }} AS lq ON dal.labelqualite_id = lq.id
    GROUP BY da.uuid
),
acteur_services AS (
    SELECT da.uuid, string_agg(DISTINCT as2.code, '|' ORDER BY as2.code) AS services
    FROM {{ ref('marts_opendata_acteur') }} AS da
    LEFT JOIN {{ ref('marts_opendata_acteur_acteur_services') }} AS daas ON da.identifiant_unique = daas.acteur_id
    LEFT JOIN {{ ref('base_acteurservice') }} AS as2 ON daas.acteurservice_id = as2.id
    GROUP BY da.uuid
),
perimetreadomicile AS (
    SELECT
        a.identifiant_unique AS acteur_id,
        jsonb_agg(jsonb_build_object('type', pad.type, 'valeur', pad.valeur) ORDER BY pad.id) AS json_value
    FROM {{ ref('marts_opendata_acteur') }} AS a
    INNER JOIN {{ ref('marts_opendata_perimetreadomicile') }} AS pad ON pad.acteur_id = a.identifiant_unique
    GROUP BY a.identifiant_unique
)
SELECT
    da.uuid AS "identifiant",
    CASE
        WHEN ds.sources_list IS NOT NULL THEN 'Longue Vie Aux Objets|ADEME|' || ds.sources_list
        ELSE 'Longue Vie Aux Objets|ADEME'
    END AS "paternite",
    ds.identifiants_par_source AS "identifiants_des_contributeurs",
    da.nom AS "nom",
    da.nom_commercial AS "nom_commercial",
    da.siren AS "siren",
    da.siret AS "siret",
    da.description AS "description",
    at.code AS "type_dacteur",
    da.url AS "site_web",
    -- LVAO never publishes mobile numbers, nor any number of an acteur
    -- that comes from the carteco source.
    CASE
        WHEN da.telephone ~ '^0[67]' THEN NULL
        WHEN EXISTS (
            SELECT 1
            FROM {{ ref('marts_opendata_acteur_sources') }} AS das2
            JOIN {{ ref('base_source') }} AS s ON das2.source_id = s.id
            WHERE das2.acteur_id = da.identifiant_unique AND s.code = 'carteco'
        ) THEN NULL
        ELSE da.telephone
    END AS "telephone",
    da.adresse AS "adresse",
    da.adresse_complement AS "complement_dadresse",
    da.code_postal AS "code_postal",
    da.ville AS "ville",
    da.code_commune_insee AS "code_commune",
    aepci.code_epci AS "code_epci",
    aepci.nom_epci AS "nom_epci",
    ST_Y(da.location::geometry) AS "latitude",
    ST_X(da.location::geometry) AS "longitude",
    al.labels AS "qualites_et_labels",
    da.public_accueilli AS "public_accueilli",
    da.reprise AS "reprise",
    da.exclusivite_de_reprisereparation AS "exclusivite_de_reprisereparation",
    da.uniquement_sur_rdv AS "uniquement_sur_rdv",
    acs.services AS "type_de_services",
    da.consignes_dacces AS "consignes_dacces",
    da.horaires_description AS "horaires_description",
    da.horaires_osm AS "horaires_osm",
    da.lieu_prestation AS "lieu_prestation",
    pad.json_value AS "perimetreadomicile",
    ps.services::text AS "propositions_de_services",
    {{ sscat_from_action('ps.services', 'emprunter') }} AS "emprunter",
    {{ sscat_from_action('ps.services', 'preter') }} AS "preter",
    {{ sscat_from_action('ps.services', 'louer') }} AS "louer",
    {{ sscat_from_action('ps.services', 'mettreenlocation') }} AS "mettreenlocation",
    {{ sscat_from_action('ps.services', 'reparer') }} AS "reparer",
    {{ sscat_from_action('ps.services', 'donner') }} AS "donner",
    {{ sscat_from_action('ps.services', 'trier') }} AS "trier",
    {{ sscat_from_action('ps.services', 'echanger') }} AS "echanger",
    {{ sscat_from_action('ps.services', 'revendre') }} AS "revendre",
    {{ sscat_from_action('ps.services', 'acheter') }} AS "acheter",
    {{ sscat_from_action('ps.services', 'rapporter') }} AS "rapporter",
    -- In UTC, whatever the session's time zone.
    to_char(da.modifie_le AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS "date_de_derniere_modification"
FROM {{ ref('marts_opendata_acteur') }} AS da
LEFT JOIN {{ ref('base_acteurtype') }} AS at ON da.acteur_type_id = at.id
INNER JOIN deduplicated_opened_sources AS ds ON da.uuid = ds.uuid
LEFT JOIN proposition_services AS ps ON da.uuid = ps.uuid
LEFT JOIN acteur_labels AS al ON da.uuid = al.uuid
LEFT JOIN acteur_services AS acs ON da.uuid = acs.uuid
LEFT JOIN perimetreadomicile AS pad ON da.identifiant_unique = pad.acteur_id
LEFT JOIN {{ ref('marts_opendata_acteur_epci') }} AS aepci ON da.identifiant_unique = aepci.identifiant_unique
ORDER BY da.uuid
