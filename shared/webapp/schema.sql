-- LVAO webapp tables read and written by the data pipelines, as described
-- by shared/lvao/webapp_schema.md (Django models of webapp/qfdmo and
-- webapp/data at commit 85ea729). Every statement is idempotent (IF NOT
-- EXISTS) and the file runs inside one transaction with search_path set to
-- the target schema, then the PostGIS schema (geography/geometry types).
--
-- Django conventions kept: foreign keys are DEFERRABLE INITIALLY DEFERRED
-- with no ON DELETE action (Django cascades in Python); every foreign key
-- column is indexed; "db default" columns have a DEFAULT clause, "app
-- default" columns have none (writers must supply them).

-- Reference tables ---------------------------------------------------------

CREATE TABLE IF NOT EXISTS qfdmo_acteurtype (
    id serial PRIMARY KEY,
    code varchar(255) NOT NULL UNIQUE,
    libelle varchar(255) NOT NULL,
    CONSTRAINT acteur_type_code_format CHECK (code ~ '^[0-9a-z_]+$')
);

CREATE TABLE IF NOT EXISTS qfdmo_source (
    id serial PRIMARY KEY,
    libelle varchar(255) NOT NULL,
    code varchar(255) NOT NULL UNIQUE,
    afficher boolean NOT NULL,
    url varchar(2048) NULL,
    logo_file varchar(100) NULL,
    licence varchar NOT NULL DEFAULT 'NO_LICENSE',
    CONSTRAINT source_code_format CHECK (code ~ '^[0-9a-z_]+$')
);

CREATE TABLE IF NOT EXISTS qfdmo_labelqualite (
    id serial PRIMARY KEY,
    "order" integer NOT NULL CHECK ("order" >= 0),
    libelle varchar(255) NOT NULL UNIQUE,
    -- No format CHECK: fixture codes such as bonusrepar_ABJ_TH have capitals.
    code varchar(255) NOT NULL UNIQUE,
    afficher boolean NOT NULL,
    filtre boolean NOT NULL,
    filtre_label varchar NOT NULL,
    filtre_texte_d_aide varchar NOT NULL,
    logo_filtre varchar(100) NULL,
    logo_file varchar(100) NULL,
    bonus boolean NOT NULL,
    type_enseigne boolean NOT NULL,
    url varchar(2048) NULL
);

CREATE TABLE IF NOT EXISTS qfdmo_actiondirection (
    id serial PRIMARY KEY,
    code varchar(255) NOT NULL UNIQUE,
    "order" integer NOT NULL,
    libelle varchar(255) NOT NULL UNIQUE,
    CONSTRAINT action_direction_code_format CHECK (code ~ '^[0-9a-z_]+$')
);

CREATE TABLE IF NOT EXISTS qfdmo_groupeaction (
    id serial PRIMARY KEY,
    code varchar(255) NOT NULL UNIQUE,
    afficher boolean NOT NULL,
    description varchar(255) NULL,
    "order" integer NOT NULL,
    couleur varchar(255) NULL,
    couleur_claire varchar(255) NULL,
    fill boolean NOT NULL,
    icon varchar(255) NULL,
    CONSTRAINT groupe_action_code_format CHECK (code ~ '^[0-9a-z_]+$')
);

CREATE TABLE IF NOT EXISTS qfdmo_action (
    id serial PRIMARY KEY,
    code varchar(255) NOT NULL UNIQUE,
    libelle varchar(255) NOT NULL,
    libelle_groupe varchar(255) NOT NULL,
    afficher boolean NOT NULL,
    description varchar(255) NULL,
    "order" integer NOT NULL,
    couleur varchar(255) NULL,
    icon varchar(255) NULL,
    groupe_action_id integer NULL
        REFERENCES qfdmo_groupeaction (id) DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT action_code_format CHECK (code ~ '^[0-9a-z_]+$')
);
CREATE INDEX IF NOT EXISTS qfdmo_action_groupe_action_id_idx ON qfdmo_action (groupe_action_id);

CREATE TABLE IF NOT EXISTS qfdmo_action_directions (
    id bigserial PRIMARY KEY,
    action_id integer NOT NULL REFERENCES qfdmo_action (id) DEFERRABLE INITIALLY DEFERRED,
    actiondirection_id integer NOT NULL
        REFERENCES qfdmo_actiondirection (id) DEFERRABLE INITIALLY DEFERRED,
    UNIQUE (action_id, actiondirection_id)
);
CREATE INDEX IF NOT EXISTS qfdmo_action_directions_actiondirection_id_idx
    ON qfdmo_action_directions (actiondirection_id);

CREATE TABLE IF NOT EXISTS qfdmo_acteurservice (
    id serial PRIMARY KEY,
    code varchar(255) NOT NULL UNIQUE,
    libelle varchar(255) NULL,
    CONSTRAINT acteur_service_code_format CHECK (code ~ '^[0-9a-z_]+$')
);

CREATE TABLE IF NOT EXISTS qfdmo_acteurservice_actions (
    id bigserial PRIMARY KEY,
    acteurservice_id integer NOT NULL
        REFERENCES qfdmo_acteurservice (id) DEFERRABLE INITIALLY DEFERRED,
    action_id integer NOT NULL REFERENCES qfdmo_action (id) DEFERRABLE INITIALLY DEFERRED,
    UNIQUE (acteurservice_id, action_id)
);
CREATE INDEX IF NOT EXISTS qfdmo_acteurservice_actions_action_id_idx
    ON qfdmo_acteurservice_actions (action_id);

CREATE TABLE IF NOT EXISTS qfdmo_categorieobjet (
    id serial PRIMARY KEY,
    libelle varchar(255) NOT NULL,
    code varchar(255) NOT NULL UNIQUE
);

CREATE TABLE IF NOT EXISTS qfdmo_souscategorieobjet (
    id serial PRIMARY KEY,
    libelle varchar(255) NOT NULL,
    categorie_id integer NOT NULL
        REFERENCES qfdmo_categorieobjet (id) DEFERRABLE INITIALLY DEFERRED,
    code varchar(255) NOT NULL UNIQUE,
    afficher boolean NOT NULL,
    afficher_carte boolean NOT NULL,
    reemploi_possible boolean NOT NULL
);
CREATE INDEX IF NOT EXISTS qfdmo_souscategorieobjet_categorie_id_idx
    ON qfdmo_souscategorieobjet (categorie_id);

-- Imported acteurs ---------------------------------------------------------

CREATE TABLE IF NOT EXISTS qfdmo_acteur (
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
    lieu_prestation varchar(255) NULL
);
CREATE INDEX IF NOT EXISTS qfdmo_acteur_nom_idx ON qfdmo_acteur (nom);
CREATE INDEX IF NOT EXISTS qfdmo_acteur_code_postal_idx ON qfdmo_acteur (code_postal);
CREATE INDEX IF NOT EXISTS qfdmo_acteur_ville_idx ON qfdmo_acteur (ville);
CREATE INDEX IF NOT EXISTS qfdmo_acteur_siren_idx ON qfdmo_acteur (siren);
CREATE INDEX IF NOT EXISTS qfdmo_acteur_siret_idx ON qfdmo_acteur (siret);
CREATE INDEX IF NOT EXISTS qfdmo_acteur_acteur_type_id_idx ON qfdmo_acteur (acteur_type_id);
CREATE INDEX IF NOT EXISTS qfdmo_acteur_source_id_idx ON qfdmo_acteur (source_id);
CREATE INDEX IF NOT EXISTS qfdmo_acteur_action_principale_id_idx ON qfdmo_acteur (action_principale_id);
CREATE INDEX IF NOT EXISTS qfdmo_acteur_location_idx ON qfdmo_acteur USING gist (location);
-- Django UniqueConstraint(condition=Q(statut='ACTIF')): a partial unique index.
CREATE UNIQUE INDEX IF NOT EXISTS acteur_unique_by_source_and_external_id
    ON qfdmo_acteur (source_id, identifiant_externe) WHERE statut = 'ACTIF';

CREATE TABLE IF NOT EXISTS qfdmo_acteur_labels (
    id bigserial PRIMARY KEY,
    acteur_id varchar(255) NOT NULL
        REFERENCES qfdmo_acteur (identifiant_unique) DEFERRABLE INITIALLY DEFERRED,
    labelqualite_id integer NOT NULL
        REFERENCES qfdmo_labelqualite (id) DEFERRABLE INITIALLY DEFERRED,
    UNIQUE (acteur_id, labelqualite_id)
);
CREATE INDEX IF NOT EXISTS qfdmo_acteur_labels_labelqualite_id_idx
    ON qfdmo_acteur_labels (labelqualite_id);

CREATE TABLE IF NOT EXISTS qfdmo_acteur_acteur_services (
    id bigserial PRIMARY KEY,
    acteur_id varchar(255) NOT NULL
        REFERENCES qfdmo_acteur (identifiant_unique) DEFERRABLE INITIALLY DEFERRED,
    acteurservice_id integer NOT NULL
        REFERENCES qfdmo_acteurservice (id) DEFERRABLE INITIALLY DEFERRED,
    UNIQUE (acteur_id, acteurservice_id)
);
CREATE INDEX IF NOT EXISTS qfdmo_acteur_acteur_services_acteurservice_id_idx
    ON qfdmo_acteur_acteur_services (acteurservice_id);

CREATE TABLE IF NOT EXISTS qfdmo_propositionservice (
    id serial PRIMARY KEY,
    action_id integer NOT NULL REFERENCES qfdmo_action (id) DEFERRABLE INITIALLY DEFERRED,
    acteur_id varchar(255) NOT NULL
        REFERENCES qfdmo_acteur (identifiant_unique) DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT ps_unique_by_acteur UNIQUE (acteur_id, action_id)
);
CREATE INDEX IF NOT EXISTS qfdmo_propositionservice_action_id_idx
    ON qfdmo_propositionservice (action_id);

CREATE TABLE IF NOT EXISTS qfdmo_propositionservice_sous_categories (
    id bigserial PRIMARY KEY,
    propositionservice_id integer NOT NULL
        REFERENCES qfdmo_propositionservice (id) DEFERRABLE INITIALLY DEFERRED,
    souscategorieobjet_id integer NOT NULL
        REFERENCES qfdmo_souscategorieobjet (id) DEFERRABLE INITIALLY DEFERRED,
    UNIQUE (propositionservice_id, souscategorieobjet_id)
);
CREATE INDEX IF NOT EXISTS qfdmo_propositionservice_sous_categories_sc_idx
    ON qfdmo_propositionservice_sous_categories (souscategorieobjet_id);

CREATE TABLE IF NOT EXISTS qfdmo_perimetreadomicile (
    id bigserial PRIMARY KEY,
    acteur_id varchar(255) NOT NULL
        REFERENCES qfdmo_acteur (identifiant_unique) DEFERRABLE INITIALLY DEFERRED,
    type varchar NOT NULL,
    valeur varchar NOT NULL
);
CREATE INDEX IF NOT EXISTS qfdmo_perimetreadomicile_acteur_id_idx
    ON qfdmo_perimetreadomicile (acteur_id);

-- Manual corrections and dedup parents -------------------------------------

CREATE TABLE IF NOT EXISTS qfdmo_revisionacteur (
    identifiant_unique varchar(255) PRIMARY KEY,
    cree_le timestamptz NOT NULL DEFAULT now(),
    modifie_le timestamptz NOT NULL DEFAULT now(),
    nom varchar(255) NOT NULL DEFAULT '',
    description text NOT NULL DEFAULT '',
    acteur_type_id integer NULL
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
    parent_id varchar(255) NULL
        REFERENCES qfdmo_revisionacteur (identifiant_unique) DEFERRABLE INITIALLY DEFERRED,
    parent_reason varchar(255) NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS qfdmo_revisionacteur_nom_idx ON qfdmo_revisionacteur (nom);
CREATE INDEX IF NOT EXISTS qfdmo_revisionacteur_code_postal_idx ON qfdmo_revisionacteur (code_postal);
CREATE INDEX IF NOT EXISTS qfdmo_revisionacteur_ville_idx ON qfdmo_revisionacteur (ville);
CREATE INDEX IF NOT EXISTS qfdmo_revisionacteur_siren_idx ON qfdmo_revisionacteur (siren);
CREATE INDEX IF NOT EXISTS qfdmo_revisionacteur_siret_idx ON qfdmo_revisionacteur (siret);
CREATE INDEX IF NOT EXISTS qfdmo_revisionacteur_acteur_type_id_idx ON qfdmo_revisionacteur (acteur_type_id);
CREATE INDEX IF NOT EXISTS qfdmo_revisionacteur_source_id_idx ON qfdmo_revisionacteur (source_id);
CREATE INDEX IF NOT EXISTS qfdmo_revisionacteur_action_principale_id_idx
    ON qfdmo_revisionacteur (action_principale_id);
CREATE INDEX IF NOT EXISTS qfdmo_revisionacteur_parent_id_idx ON qfdmo_revisionacteur (parent_id);
CREATE INDEX IF NOT EXISTS qfdmo_revisionacteur_location_idx ON qfdmo_revisionacteur USING gist (location);

CREATE TABLE IF NOT EXISTS qfdmo_revisionacteur_labels (
    id bigserial PRIMARY KEY,
    revisionacteur_id varchar(255) NOT NULL
        REFERENCES qfdmo_revisionacteur (identifiant_unique) DEFERRABLE INITIALLY DEFERRED,
    labelqualite_id integer NOT NULL
        REFERENCES qfdmo_labelqualite (id) DEFERRABLE INITIALLY DEFERRED,
    UNIQUE (revisionacteur_id, labelqualite_id)
);
CREATE INDEX IF NOT EXISTS qfdmo_revisionacteur_labels_labelqualite_id_idx
    ON qfdmo_revisionacteur_labels (labelqualite_id);

CREATE TABLE IF NOT EXISTS qfdmo_revisionacteur_acteur_services (
    id bigserial PRIMARY KEY,
    revisionacteur_id varchar(255) NOT NULL
        REFERENCES qfdmo_revisionacteur (identifiant_unique) DEFERRABLE INITIALLY DEFERRED,
    acteurservice_id integer NOT NULL
        REFERENCES qfdmo_acteurservice (id) DEFERRABLE INITIALLY DEFERRED,
    UNIQUE (revisionacteur_id, acteurservice_id)
);
CREATE INDEX IF NOT EXISTS qfdmo_revisionacteur_acteur_services_as_idx
    ON qfdmo_revisionacteur_acteur_services (acteurservice_id);

CREATE TABLE IF NOT EXISTS qfdmo_revisionpropositionservice (
    id serial PRIMARY KEY,
    action_id integer NOT NULL REFERENCES qfdmo_action (id) DEFERRABLE INITIALLY DEFERRED,
    acteur_id varchar(255) NOT NULL
        REFERENCES qfdmo_revisionacteur (identifiant_unique) DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT rps_unique_by_revisionacteur UNIQUE (acteur_id, action_id)
);
CREATE INDEX IF NOT EXISTS qfdmo_revisionpropositionservice_action_id_idx
    ON qfdmo_revisionpropositionservice (action_id);

CREATE TABLE IF NOT EXISTS qfdmo_revisionpropositionservice_sous_categories (
    id bigserial PRIMARY KEY,
    revisionpropositionservice_id integer NOT NULL
        REFERENCES qfdmo_revisionpropositionservice (id) DEFERRABLE INITIALLY DEFERRED,
    souscategorieobjet_id integer NOT NULL
        REFERENCES qfdmo_souscategorieobjet (id) DEFERRABLE INITIALLY DEFERRED,
    UNIQUE (revisionpropositionservice_id, souscategorieobjet_id)
);
CREATE INDEX IF NOT EXISTS qfdmo_revisionpropositionservice_sous_categories_sc_idx
    ON qfdmo_revisionpropositionservice_sous_categories (souscategorieobjet_id);

CREATE TABLE IF NOT EXISTS qfdmo_revisionperimetreadomicile (
    id bigserial PRIMARY KEY,
    acteur_id varchar(255) NOT NULL
        REFERENCES qfdmo_revisionacteur (identifiant_unique) DEFERRABLE INITIALLY DEFERRED,
    type varchar NOT NULL,
    valeur varchar NOT NULL
);
CREATE INDEX IF NOT EXISTS qfdmo_revisionperimetreadomicile_acteur_id_idx
    ON qfdmo_revisionperimetreadomicile (acteur_id);

-- Suggestions --------------------------------------------------------------

CREATE TABLE IF NOT EXISTS data_suggestioncohorte (
    id serial PRIMARY KEY,
    cree_le timestamptz NOT NULL DEFAULT now(),
    modifie_le timestamptz NOT NULL DEFAULT now(),
    identifiant_action varchar NOT NULL,
    identifiant_execution varchar NOT NULL,
    type_action varchar(50) NOT NULL,
    statut varchar(50) NOT NULL,
    metadata jsonb NULL
);

CREATE TABLE IF NOT EXISTS data_suggestion (
    id serial PRIMARY KEY,
    cree_le timestamptz NOT NULL DEFAULT now(),
    modifie_le timestamptz NOT NULL DEFAULT now(),
    suggestion_cohorte_id integer NOT NULL
        REFERENCES data_suggestioncohorte (id) DEFERRABLE INITIALLY DEFERRED,
    statut varchar(50) NOT NULL,
    contexte jsonb NULL,
    suggestion jsonb NOT NULL,
    metadata jsonb NULL
);
CREATE INDEX IF NOT EXISTS data_suggestion_suggestion_cohorte_id_idx
    ON data_suggestion (suggestion_cohorte_id);

-- acteur_id, revision_acteur_id and parent_revision_acteur_id are
-- ForeignKey(db_constraint=False): plain indexed columns.
CREATE TABLE IF NOT EXISTS data_suggestiongroupe (
    id serial PRIMARY KEY,
    cree_le timestamptz NOT NULL DEFAULT now(),
    modifie_le timestamptz NOT NULL DEFAULT now(),
    suggestion_cohorte_id integer NOT NULL
        REFERENCES data_suggestioncohorte (id) DEFERRABLE INITIALLY DEFERRED,
    statut varchar(50) NOT NULL,
    acteur_id varchar(255) NULL,
    revision_acteur_id varchar(255) NULL,
    parent_revision_acteur_id varchar(255) NULL,
    contexte jsonb NULL,
    metadata jsonb NULL
);
CREATE INDEX IF NOT EXISTS data_suggestiongroupe_suggestion_cohorte_id_idx
    ON data_suggestiongroupe (suggestion_cohorte_id);
CREATE INDEX IF NOT EXISTS data_suggestiongroupe_acteur_id_idx ON data_suggestiongroupe (acteur_id);
CREATE INDEX IF NOT EXISTS data_suggestiongroupe_revision_acteur_id_idx
    ON data_suggestiongroupe (revision_acteur_id);
CREATE INDEX IF NOT EXISTS data_suggestiongroupe_parent_revision_acteur_id_idx
    ON data_suggestiongroupe (parent_revision_acteur_id);

CREATE TABLE IF NOT EXISTS data_suggestionunitaire (
    id serial PRIMARY KEY,
    cree_le timestamptz NOT NULL DEFAULT now(),
    modifie_le timestamptz NOT NULL DEFAULT now(),
    suggestion_groupe_id integer NOT NULL
        REFERENCES data_suggestiongroupe (id) DEFERRABLE INITIALLY DEFERRED,
    statut varchar(50) NOT NULL,
    acteur_id varchar(255) NULL,
    revision_acteur_id varchar(255) NULL,
    parent_revision_acteur_id varchar(255) NULL,
    ordre integer NOT NULL,
    raison text NOT NULL DEFAULT '',
    parametres jsonb NOT NULL,
    suggestion_modele varchar(255) NOT NULL DEFAULT '',
    champs text[] NOT NULL,
    valeurs text[] NOT NULL,
    CONSTRAINT data_su_revision_acteur_if_modele_revision_acteur
        CHECK (NOT (suggestion_modele = 'RevisionActeur' AND revision_acteur_id IS NULL)),
    CONSTRAINT data_su_parent_revision_acteur_if_modele_parent_revision_acteur
        CHECK (NOT (suggestion_modele = 'ParentRevisionActeur' AND parent_revision_acteur_id IS NULL))
);
CREATE INDEX IF NOT EXISTS data_suggestionunitaire_suggestion_groupe_id_idx
    ON data_suggestionunitaire (suggestion_groupe_id);
CREATE INDEX IF NOT EXISTS data_suggestionunitaire_acteur_id_idx ON data_suggestionunitaire (acteur_id);
CREATE INDEX IF NOT EXISTS data_suggestionunitaire_revision_acteur_id_idx
    ON data_suggestionunitaire (revision_acteur_id);
CREATE INDEX IF NOT EXISTS data_suggestionunitaire_parent_revision_acteur_id_idx
    ON data_suggestionunitaire (parent_revision_acteur_id);

CREATE TABLE IF NOT EXISTS data_suggestionlog (
    id serial PRIMARY KEY,
    cree_le timestamptz NOT NULL DEFAULT now(),
    modifie_le timestamptz NOT NULL DEFAULT now(),
    suggestion_cohorte_id integer NULL
        REFERENCES data_suggestioncohorte (id) DEFERRABLE INITIALLY DEFERRED,
    suggestion_groupe_id integer NULL
        REFERENCES data_suggestiongroupe (id) DEFERRABLE INITIALLY DEFERRED,
    suggestion_unitaire_id integer NULL
        REFERENCES data_suggestionunitaire (id) DEFERRABLE INITIALLY DEFERRED,
    identifiant_unique varchar(255) NOT NULL,
    niveau_de_log varchar(50) NOT NULL,
    fonction_de_transformation varchar(255) NOT NULL,
    origine_colonnes varchar(255)[] NULL,
    origine_valeurs text[] NULL,
    destination_colonnes varchar(255)[] NULL,
    message text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS data_suggestionlog_suggestion_cohorte_id_idx
    ON data_suggestionlog (suggestion_cohorte_id);
CREATE INDEX IF NOT EXISTS data_suggestionlog_suggestion_groupe_id_idx
    ON data_suggestionlog (suggestion_groupe_id);
CREATE INDEX IF NOT EXISTS data_suggestionlog_suggestion_unitaire_id_idx
    ON data_suggestionlog (suggestion_unitaire_id);

-- BAN geocoding cache (pharmacies DAG). modifie_le has no DEFAULT: migration
-- 0017 removed it and the DAG inserts NOW().
CREATE TABLE IF NOT EXISTS data_bancache (
    id bigserial PRIMARY KEY,
    adresse varchar NULL,
    code_postal varchar NULL,
    ville varchar NULL,
    location geometry(Point, 4326) NULL,
    ban_returned jsonb NULL,
    modifie_le timestamptz NOT NULL
);
