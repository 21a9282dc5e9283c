-- PrincipalService. Every statement returns the Principal message's fields.

-- name: principal_add
-- A principal, with the audit row ($1..$4): $5 name, $6 fingerprint, $7
-- role, $8 park code ('' for none), $9 district ('' for none). No row: no
-- such park.
WITH ins AS (
    INSERT INTO principals (name, fingerprint, role, park_id, district)
    SELECT $5, $6, $7, (SELECT id FROM parks WHERE code = $8), nullif($9, '')
    WHERE $8 = '' OR EXISTS (SELECT 1 FROM parks WHERE code = $8)
    RETURNING *),
@@audit_insert('principal:' || ins.fingerprint,ins)@@
SELECT @@principal_columns@@
FROM ins x;

-- name: principal_list
SELECT @@principal_columns@@
FROM principals x
ORDER BY x.id;

-- name: principal_disable
-- Disable principal $5 (id, or 0 and fingerprint $6), with the audit row.
WITH upd AS (
    UPDATE principals SET enabled = false, version = version + 1
    WHERE ($5::bigint <> 0 AND id = $5) OR ($5 = 0 AND fingerprint = $6)
    RETURNING *),
aud AS (
    @@audit_by_request@@, 'principal:' || upd.fingerprint,
        jsonb_build_object('enabled', false)
    FROM upd)
SELECT @@principal_columns@@
FROM upd x;

-- name: principal_get
-- Principal $1.
SELECT @@principal_columns@@
FROM principals x
WHERE x.id = $1;

-- name: principal_by_fingerprint
-- The enabled principal of a client certificate, $1 its SHA-256
-- fingerprint (rpc/auth.c, through auth_init).
SELECT id, name, role, coalesce(park_id, 0) AS park_id,
    coalesce(district, '') AS district
FROM principals
WHERE fingerprint = $1 AND enabled;

-- name: principal_add_cli
-- parkd --add-principal (svc/principal.c, on its own connection, outside
-- any request): $1 name, $2 fingerprint, $3 role, $4 park code ('' for
-- none), $5 the certificate's subject for the audit row. A known
-- fingerprint is updated and enabled again; no row: no park $4.
WITH pk AS (SELECT id FROM parks WHERE code = $4),
ins AS (
    INSERT INTO principals (name, fingerprint, role, park_id)
    SELECT $1, $2, $3, (SELECT id FROM pk)
    WHERE $4 = '' OR EXISTS (SELECT 1 FROM pk)
    ON CONFLICT (fingerprint) DO UPDATE
    SET name = EXCLUDED.name, role = EXCLUDED.role,
        park_id = EXCLUDED.park_id, enabled = true,
        version = principals.version + 1
    RETURNING *),
aud AS (
    INSERT INTO audit_log (principal_name, method, object, change)
    SELECT 'parkd --add-principal', 'AddPrincipal',
        'principal:' || ins.fingerprint,
        jsonb_build_object('after', to_jsonb(ins), 'cert', $5::text)
    FROM ins)
SELECT id FROM ins;
