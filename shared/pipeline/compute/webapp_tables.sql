-- Webapp tables the compute publishes, as shared/lvao/webapp_schema.md
-- and the Django models (FinalActeur, DisplayedActeur, VueActeur, EPCI)
-- describe them: the map's qfdmo_displayed* set, the admin's qfdmo_vue* set
-- and qfdmo_epci. Django creates them in production; this file creates
-- them where Django does not run (tests, the local harness). Runs in one
-- transaction with search_path set to the webapp schema, then PostGIS's;
-- needs the reference tables of shared/webapp. Idempotent.

CREATE TABLE IF NOT EXISTS qfdmo_epci (
    id serial PRIMARY KEY,
    code varchar(10) NOT NULL UNIQUE,
    nom varchar(255) NOT NULL
);

-- Displayed: what the map shows (no parent_id: children are folded into
-- their parent).

CREATE TABLE IF NOT EXISTS qfdmo_displayedacteur (
    identifiant_unique varchar(255) PRIMARY KEY,
    cree_le timestamptz NOT NULL DEFAULT now(),
    modifie_le timestamptz NOT NULL DEFAULT now(),
    nom varchar(255) NOT NULL,
    description text NOT NULL DEFAULT '',
    acteur_type_id integer NOT NULL
        REFERENCES qfdmo_acteurtype (id) DEFERRABLE INITIALLY DEFERRED,
    adresse varchar(255) NOT NULL DEFAULT '',
    adresse_complement varchar(255) NOT NULL DEFAULT '',
    code_postal varchar(10) NOT NULL DEFAULT '',
    ville varchar(255) NOT NULL DEFAULT '',
    url varchar(2048) NOT NULL DEFAULT '',
    email varchar(254) NOT NULL DEFAULT '',
    location geography(Point, 4326) NULL,
    telephone varchar(255) NOT NULL DEFAULT '',
    nom_commercial varchar(255) NOT NULL DEFAULT '',
    nom_officiel varchar(255) NOT NULL DEFAULT '',
    siren varchar(9) NOT NULL DEFAULT '',
    siret varchar(14) NOT NULL DEFAULT '',
    siret_is_closed boolean NULL,
    source_id integer NULL REFERENCES qfdmo_source (id) DEFERRABLE INITIALLY DEFERRED,
    identifiant_externe varchar(255) NOT NULL DEFAULT '',
    statut varchar(255) NOT NULL DEFAULT 'ACTIF',
    naf_principal varchar(255) NOT NULL DEFAULT '',
    commentaires text NOT NULL DEFAULT '',
    horaires_osm varchar NOT NULL DEFAULT '',
    horaires_description text NOT NULL DEFAULT '',
    public_accueilli varchar(255) NOT NULL,
    reprise varchar(255) NOT NULL,
    exclusivite_de_reprisereparation boolean NULL,
    uniquement_sur_rdv boolean NULL,
    action_principale_id integer NULL
        REFERENCES qfdmo_action (id) DEFERRABLE INITIALLY DEFERRED,
    consignes_dacces text NOT NULL DEFAULT '',
    lieu_prestation varchar(255) NULL,
    uuid varchar(255) NOT NULL,
    code_commune_insee varchar(10) NOT NULL,
    epci_id integer NULL REFERENCES qfdmo_epci (id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS qfdmo_displayedacteur_nom_idx ON qfdmo_displayedacteur (nom);
CREATE INDEX IF NOT EXISTS qfdmo_displayedacteur_code_postal_idx ON qfdmo_displayedacteur (code_postal);
CREATE INDEX IF NOT EXISTS qfdmo_displayedacteur_ville_idx ON qfdmo_displayedacteur (ville);
CREATE INDEX IF NOT EXISTS qfdmo_displayedacteur_siren_idx ON qfdmo_displayedacteur (siren);
CREATE INDEX IF NOT EXISTS qfdmo_displayedacteur_siret_idx ON qfdmo_displayedacteur (siret);
CREATE INDEX IF NOT EXISTS qfdmo_displayedacteur_acteur_type_id_idx ON qfdmo_displayedacteur (acteur_type_id);
CREATE INDEX IF NOT EXISTS qfdmo_displayedacteur_source_id_idx ON qfdmo_displayedacteur (source_id);
CREATE INDEX IF NOT EXISTS qfdmo_displayedacteur_action_principale_id_idx ON qfdmo_displayedacteur (action_principale_id);
CREATE INDEX IF NOT EXISTS qfdmo_displayedacteur_uuid_idx ON qfdmo_displayedacteur (uuid);
CREATE INDEX IF NOT EXISTS qfdmo_displayedacteur_code_commune_insee_idx ON qfdmo_displayedacteur (code_commune_insee);
CREATE INDEX IF NOT EXISTS qfdmo_displayedacteur_epci_id_idx ON qfdmo_displayedacteur (epci_id);
CREATE INDEX IF NOT EXISTS qfdmo_displayedacteur_location_idx ON qfdmo_displayedacteur USING gist (location);
CREATE INDEX IF NOT EXISTS da_statut_type_idx ON qfdmo_displayedacteur (statut, acteur_type_id);

CREATE TABLE IF NOT EXISTS qfdmo_displayedacteur_labels (
    id bigserial PRIMARY KEY,
    displayedacteur_id varchar(255) NOT NULL
        REFERENCES qfdmo_displayedacteur (identifiant_unique) DEFERRABLE INITIALLY DEFERRED,
    labelqualite_id integer NOT NULL REFERENCES qfdmo_labelqualite (id) DEFERRABLE INITIALLY DEFERRED,
    UNIQUE (displayedacteur_id, labelqualite_id)
);
CREATE INDEX IF NOT EXISTS qfdmo_displayedacteur_labels_labelqualite_id_idx ON qfdmo_displayedacteur_labels (labelqualite_id);

CREATE TABLE IF NOT EXISTS qfdmo_displayedacteur_acteur_services (
    id bigserial PRIMARY KEY,
    displayedacteur_id varchar(255) NOT NULL
        REFERENCES qfdmo_displayedacteur (identifiant_unique) DEFERRABLE INITIALLY DEFERRED,
    acteurservice_id integer NOT NULL REFERENCES qfdmo_acteurservice (id) DEFERRABLE INITIALLY DEFERRED,
    UNIQUE (displayedacteur_id, acteurservice_id)
);
CREATE INDEX IF NOT EXISTS qfdmo_displayedacteur_acteur_services_acteurservice_id_idx ON qfdmo_displayedacteur_acteur_services (acteurservice_id);

CREATE TABLE IF NOT EXISTS qfdmo_displayedacteur_sources (
    id bigserial PRIMARY KEY,
    displayedacteur_id varchar(255) NOT NULL
        REFERENCES qfdmo_displayedacteur (identifiant_unique) DEFERRABLE INITIALLY DEFERRED,
    source_id integer NOT NULL REFERENCES qfdmo_source (id) DEFERRABLE INITIALLY DEFERRED,
    UNIQUE (displayedacteur_id, source_id)
);
CREATE INDEX IF NOT EXISTS qfdmo_displayedacteur_sources_source_id_idx ON qfdmo_displayedacteur_sources (source_id);

-- id is a varchar: LVAO fills it with PS_<id>, RPS_<id> or <parent>_<action>.
CREATE TABLE IF NOT EXISTS qfdmo_displayedpropositionservice (
    id varchar PRIMARY KEY,
    action_id integer NOT NULL REFERENCES qfdmo_action (id) DEFERRABLE INITIALLY DEFERRED,
    acteur_id varchar(255) NOT NULL
        REFERENCES qfdmo_displayedacteur (identifiant_unique) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS qfdmo_displayedpropositionservice_action_id_idx ON qfdmo_displayedpropositionservice (action_id);
CREATE INDEX IF NOT EXISTS dps_acteur_action_idx ON qfdmo_displayedpropositionservice (acteur_id, action_id);

CREATE TABLE IF NOT EXISTS qfdmo_displayedpropositionservice_sous_categories (
    id bigserial PRIMARY KEY,
    displayedpropositionservice_id varchar NOT NULL
        REFERENCES qfdmo_displayedpropositionservice (id) DEFERRABLE INITIALLY DEFERRED,
    souscategorieobjet_id integer NOT NULL
        REFERENCES qfdmo_souscategorieobjet (id) DEFERRABLE INITIALLY DEFERRED,
    UNIQUE (displayedpropositionservice_id, souscategorieobjet_id)
);
CREATE INDEX IF NOT EXISTS qfdmo_displayedpropositionservice_sous_categories_sc_idx ON qfdmo_displayedpropositionservice_sous_categories (souscategorieobjet_id);

CREATE TABLE IF NOT EXISTS qfdmo_displayedperimetreadomicile (
    id bigserial PRIMARY KEY,
    acteur_id varchar(255) NOT NULL
        REFERENCES qfdmo_displayedacteur (identifiant_unique) DEFERRABLE INITIALLY DEFERRED,
    type varchar NOT NULL,
    valeur varchar NOT NULL
);
CREATE INDEX IF NOT EXISTS qfdmo_displayedperimetreadomicile_acteur_id_idx ON qfdmo_displayedperimetreadomicile (acteur_id);

-- Vue: every acteur with its revision applied, for the admin.

CREATE TABLE IF NOT EXISTS qfdmo_vueacteur (
    identifiant_unique varchar(255) PRIMARY KEY,
    cree_le timestamptz NOT NULL DEFAULT now(),
    modifie_le timestamptz NOT NULL DEFAULT now(),
    nom varchar(255) NOT NULL,
    description text NOT NULL DEFAULT '',
    acteur_type_id integer NOT NULL
        REFERENCES qfdmo_acteurtype (id) DEFERRABLE INITIALLY DEFERRED,
    adresse varchar(255) NOT NULL DEFAULT '',
    adresse_complement varchar(255) NOT NULL DEFAULT '',
    code_postal varchar(10) NOT NULL DEFAULT '',
    ville varchar(255) NOT NULL DEFAULT '',
    url varchar(2048) NOT NULL DEFAULT '',
    email varchar(254) NOT NULL DEFAULT '',
    location geography(Point, 4326) NULL,
    telephone varchar(255) NOT NULL DEFAULT '',
    nom_commercial varchar(255) NOT NULL DEFAULT '',
    nom_officiel varchar(255) NOT NULL DEFAULT '',
    siren varchar(9) NOT NULL DEFAULT '',
    siret varchar(14) NOT NULL DEFAULT '',
    siret_is_closed boolean NULL,
    source_id integer NULL REFERENCES qfdmo_source (id) DEFERRABLE INITIALLY DEFERRED,
    identifiant_externe varchar(255) NOT NULL DEFAULT '',
    statut varchar(255) NOT NULL DEFAULT 'ACTIF',
    naf_principal varchar(255) NOT NULL DEFAULT '',
    commentaires text NOT NULL DEFAULT '',
    horaires_osm varchar NOT NULL DEFAULT '',
    horaires_description text NOT NULL DEFAULT '',
    public_accueilli varchar(255) NOT NULL,
    reprise varchar(255) NOT NULL,
    exclusivite_de_reprisereparation boolean NULL,
    uniquement_sur_rdv boolean NULL,
    action_principale_id integer NULL
        REFERENCES qfdmo_action (id) DEFERRABLE INITIALLY DEFERRED,
    consignes_dacces text NOT NULL DEFAULT '',
    lieu_prestation varchar(255) NULL,
    uuid varchar(255) NOT NULL,
    code_commune_insee varchar(10) NOT NULL,
    epci_id integer NULL REFERENCES qfdmo_epci (id) DEFERRABLE INITIALLY DEFERRED,
    parent_id varchar(255) NULL
        REFERENCES qfdmo_vueacteur (identifiant_unique) DEFERRABLE INITIALLY DEFERRED,
    revision_existe boolean NOT NULL,
    est_parent boolean NOT NULL,
    liste_enfants jsonb NULL,
    nombre_enfants integer NULL,
    est_dans_carte boolean NOT NULL,
    est_dans_opendata boolean NOT NULL,
    latitude double precision NULL,
    longitude double precision NULL
);
CREATE INDEX IF NOT EXISTS qfdmo_vueacteur_nom_idx ON qfdmo_vueacteur (nom);
CREATE INDEX IF NOT EXISTS qfdmo_vueacteur_code_postal_idx ON qfdmo_vueacteur (code_postal);
CREATE INDEX IF NOT EXISTS qfdmo_vueacteur_ville_idx ON qfdmo_vueacteur (ville);
CREATE INDEX IF NOT EXISTS qfdmo_vueacteur_siren_idx ON qfdmo_vueacteur (siren);
CREATE INDEX IF NOT EXISTS qfdmo_vueacteur_siret_idx ON qfdmo_vueacteur (siret);
CREATE INDEX IF NOT EXISTS qfdmo_vueacteur_acteur_type_id_idx ON qfdmo_vueacteur (acteur_type_id);
CREATE INDEX IF NOT EXISTS qfdmo_vueacteur_source_id_idx ON qfdmo_vueacteur (source_id);
CREATE INDEX IF NOT EXISTS qfdmo_vueacteur_action_principale_id_idx ON qfdmo_vueacteur (action_principale_id);
CREATE INDEX IF NOT EXISTS qfdmo_vueacteur_uuid_idx ON qfdmo_vueacteur (uuid);
CREATE INDEX IF NOT EXISTS qfdmo_vueacteur_code_commune_insee_idx ON qfdmo_vueacteur (code_commune_insee);
CREATE INDEX IF NOT EXISTS qfdmo_vueacteur_epci_id_idx ON qfdmo_vueacteur (epci_id);
CREATE INDEX IF NOT EXISTS qfdmo_vueacteur_location_idx ON qfdmo_vueacteur USING gist (location);
CREATE INDEX IF NOT EXISTS qfdmo_vueacteur_parent_id_idx ON qfdmo_vueacteur (parent_id);

CREATE TABLE IF NOT EXISTS qfdmo_vueacteur_labels (
    id bigserial PRIMARY KEY,
    vueacteur_id varchar(255) NOT NULL
        REFERENCES qfdmo_vueacteur (identifiant_unique) DEFERRABLE INITIALLY DEFERRED,
    labelqualite_id integer NOT NULL REFERENCES qfdmo_labelqualite (id) DEFERRABLE INITIALLY DEFERRED,
    UNIQUE (vueacteur_id, labelqualite_id)
);
CREATE INDEX IF NOT EXISTS qfdmo_vueacteur_labels_labelqualite_id_idx ON qfdmo_vueacteur_labels (labelqualite_id);

CREATE TABLE IF NOT EXISTS qfdmo_vueacteur_acteur_services (
    id bigserial PRIMARY KEY,
    vueacteur_id varchar(255) NOT NULL
        REFERENCES qfdmo_vueacteur (identifiant_unique) DEFERRABLE INITIALLY DEFERRED,
    acteurservice_id integer NOT NULL REFERENCES qfdmo_acteurservice (id) DEFERRABLE INITIALLY DEFERRED,
    UNIQUE (vueacteur_id, acteurservice_id)
);
CREATE INDEX IF NOT EXISTS qfdmo_vueacteur_acteur_services_acteurservice_id_idx ON qfdmo_vueacteur_acteur_services (acteurservice_id);

CREATE TABLE IF NOT EXISTS qfdmo_vueacteur_sources (
    id bigserial PRIMARY KEY,
    vueacteur_id varchar(255) NOT NULL
        REFERENCES qfdmo_vueacteur (identifiant_unique) DEFERRABLE INITIALLY DEFERRED,
    source_id integer NOT NULL REFERENCES qfdmo_source (id) DEFERRABLE INITIALLY DEFERRED,
    UNIQUE (vueacteur_id, source_id)
);
CREATE INDEX IF NOT EXISTS qfdmo_vueacteur_sources_source_id_idx ON qfdmo_vueacteur_sources (source_id);

-- id is a varchar: LVAO fills it with PS_<id>, RPS_<id> or <parent>_<action>.
CREATE TABLE IF NOT EXISTS qfdmo_vuepropositionservice (
    id varchar PRIMARY KEY,
    action_id integer NOT NULL REFERENCES qfdmo_action (id) DEFERRABLE INITIALLY DEFERRED,
    acteur_id varchar(255) NOT NULL
        REFERENCES qfdmo_vueacteur (identifiant_unique) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS qfdmo_vuepropositionservice_action_id_idx ON qfdmo_vuepropositionservice (action_id);
CREATE INDEX IF NOT EXISTS qfdmo_vuepropositionservice_acteur_id_idx ON qfdmo_vuepropositionservice (acteur_id);

CREATE TABLE IF NOT EXISTS qfdmo_vuepropositionservice_sous_categories (
    id bigserial PRIMARY KEY,
    vuepropositionservice_id varchar NOT NULL
        REFERENCES qfdmo_vuepropositionservice (id) DEFERRABLE INITIALLY DEFERRED,
    souscategorieobjet_id integer NOT NULL
        REFERENCES qfdmo_souscategorieobjet (id) DEFERRABLE INITIALLY DEFERRED,
    UNIQUE (vuepropositionservice_id, souscategorieobjet_id)
);
CREATE INDEX IF NOT EXISTS qfdmo_vuepropositionservice_sous_categories_sc_idx ON qfdmo_vuepropositionservice_sous_categories (souscategorieobjet_id);

CREATE TABLE IF NOT EXISTS qfdmo_vueperimetreadomicile (
    id bigserial PRIMARY KEY,
    acteur_id varchar(255) NOT NULL
        REFERENCES qfdmo_vueacteur (identifiant_unique) DEFERRABLE INITIALLY DEFERRED,
    type varchar NOT NULL,
    valeur varchar NOT NULL
);
CREATE INDEX IF NOT EXISTS qfdmo_vueperimetreadomicile_acteur_id_idx ON qfdmo_vueperimetreadomicile (acteur_id);
