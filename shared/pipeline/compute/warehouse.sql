-- Warehouse schema objects the models need besides their own tables. Runs
-- in one transaction with search_path set to the warehouse schema, then the
-- schema holding the extensions (postgis, uuid-ossp, unaccent, pg_trgm).

-- LVAO's acteur uuid (dbt macros udf_uuid_to_int, udf_safe_divmod,
-- udf_encode_base57): the 128-bit value of a UUID written in base 57 with
-- shortuuid's alphabet, most significant digit first, left-padded with the
-- alphabet's first letter to 22 characters. Applied to
-- uuid_generate_v5(NAMESPACE_DNS, identifiant_unique) it gives what
-- Python's shortuuid.uuid(name=identifiant_unique) gives.
CREATE OR REPLACE FUNCTION encode_base57(u uuid) RETURNS varchar(22)
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    alphabet constant text := '23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
    two64 constant numeric := 18446744073709551616;
    hex constant text := replace(u::text, '-', '');
    -- The two 64-bit halves; bit(64)::bigint is signed, hence the correction.
    hi constant bigint := ('x' || substr(hex, 1, 16))::bit(64)::bigint;
    lo constant bigint := ('x' || substr(hex, 17, 16))::bit(64)::bigint;
    val numeric := (hi + CASE WHEN hi < 0 THEN two64 ELSE 0 END) * two64
        + lo + CASE WHEN lo < 0 THEN two64 ELSE 0 END;
    result text := '';
BEGIN
    WHILE val > 0 LOOP
        result := substr(alphabet, (mod(val, 57))::int + 1, 1) || result;
        val := div(val, 57);
    END LOOP;
    RETURN lpad(result, 22, '2');
END;
$$;

-- Geographic reference data (LVAO's clone DAGs fill them from La Poste's
-- postcode base and Koumoul's communes/EPCI dataset). Empty tables mean no
-- EPCI: acteurs then get code_commune_insee '' and epci_id NULL.
CREATE TABLE IF NOT EXISTS clone_laposte_code_postal_in_use (
    code_commune_insee varchar(5),
    nom_de_la_commune varchar(150),
    code_postal varchar(5),
    libelle_d_acheminement varchar(150),
    ligne_5 varchar(150)
);
CREATE INDEX IF NOT EXISTS clone_laposte_code_postal_in_use_cp_idx
    ON clone_laposte_code_postal_in_use (code_postal);

CREATE TABLE IF NOT EXISTS clone_koumoul_epci_in_use (
    code_commune varchar(5),
    nom_commune varchar(255),
    code_epci varchar(10),
    nom_epci varchar(255)
);
CREATE INDEX IF NOT EXISTS clone_koumoul_epci_in_use_commune_idx
    ON clone_koumoul_epci_in_use (code_commune);
