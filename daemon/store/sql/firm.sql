-- FirmService.

-- name: firm_get
-- One firm, by id ($1); in_scope: may the caller's park ($2, 0 for the
-- city-wide roles) read it (schema/0005_scope.sql). firm_get_by_code: by
-- credit code ($1). Two statements, not one with an OR: each keeps a plan.
-- The city-wide roles never call scope_firm_read: PostgreSQL parses and
-- plans a function's body on every statement that calls it.
SELECT @@firm_columns@@,
    $2::bigint = 0 OR scope_firm_read($2, f.id, NULL, NULL) AS in_scope
FROM firms f
WHERE f.id = $1;

-- name: firm_get_by_code
SELECT @@firm_columns@@,
    $2::bigint = 0 OR scope_firm_read($2, f.id, NULL, NULL) AS in_scope
FROM firms f
WHERE f.credit_code = $1;

-- name: firm_create
-- A new firm, with the audit row ($1..$4): $5 credit code, $6 name, $7
-- industry code, $8 registered on, $9 tech based, $10 SRDI, $11 the
-- registering operator's park (0: registered by the city).
WITH ins AS (
    INSERT INTO firms (credit_code, name, industry_code, registered_on,
        tech_based, srdi, registered_by)
    VALUES ($5, $6, $7, $8, $9, $10, nullif($11::bigint, 0))
    RETURNING *),
@@audit_insert('firm:' || ins.credit_code,ins)@@
SELECT @@firm_columns@@
FROM ins f;

-- name: firm_list
-- A page of firms by id, each filter '' for any: $1 industry code prefix,
-- $2 part of the name; $3 the last id of the previous page, $4 the
-- caller's park (0: every firm; else those it may read), $5 the page size
-- + 1.
SELECT @@firm_columns@@
FROM firms f
WHERE ($1 = '' OR f.industry_code LIKE $1 || '%')
    AND ($2 = '' OR strpos(f.name, $2) > 0) AND f.id > $3
    AND ($4::bigint = 0 OR scope_firm_read($4, f.id, NULL, NULL))
ORDER BY f.id
LIMIT $5;

-- fragment: firm_list_page
-- pages: 20 100 1000
-- firm_list with no filter, for the city-wide roles ($1 and $2 are '', $4
-- is 0): at most @1 rows, the limit in the text (firm_list_page_20, _100,
-- _1000; rpc/page.c says why: at a million firms firm_list's "LIMIT $n"
-- planned every call, 0.06-0.6 ms, where this one's cached plan takes
-- 0.005 to plan and 0.08 to run a page of 100).
-- With a filter firm_list stays: a rare industry prefix wants its index,
-- which a plan cached for every prefix would not take.
SELECT @@firm_columns@@
FROM firms f
WHERE $1 = '' AND $2 = '' AND f.id > $3 AND $4::bigint = 0
ORDER BY f.id
LIMIT @1

-- name: firm_update
-- Change the fields named in $8 (a text[] literal) of firm $5 (id, or 0
-- and credit code $6) if it is at version $7 and the caller's park $14 (0:
-- city-wide) may (scope_firm_identity_write), with the audit row
-- ($1..$4). $9 name, $10 industry code, $11 registered on, $12 tech
-- based, $13 SRDI. outcome: updated, stale (someone changed it first) or
-- denied; no row: no such firm.
WITH old AS (
    SELECT * FROM firms
    WHERE ($5::bigint <> 0 AND id = $5) OR ($5 = 0 AND credit_code = $6)),
upd AS (
    UPDATE firms f SET
        name = CASE WHEN 'name' = ANY($8::text[]) THEN $9 ELSE f.name END,
        industry_code = CASE WHEN 'industry_code' = ANY($8::text[])
            THEN $10 ELSE f.industry_code END,
        registered_on = CASE WHEN 'registered_on' = ANY($8::text[])
            THEN $11::date ELSE f.registered_on END,
        tech_based = CASE WHEN 'tech_based' = ANY($8::text[])
            THEN $12::boolean ELSE f.tech_based END,
        srdi = CASE WHEN 'srdi' = ANY($8::text[])
            THEN $13::boolean ELSE f.srdi END,
        version = f.version + 1, updated_at = now()
    FROM old
    WHERE f.id = old.id AND f.version = $7
        AND scope_firm_identity_write($14, f.id)
    RETURNING f.*),
@@audit_update('firm:' || upd.credit_code,$8)@@
SELECT 'updated' AS outcome, @@firm_columns@@
FROM upd f
UNION ALL
SELECT CASE WHEN scope_firm_identity_write($14, f.id) THEN 'stale'
        ELSE 'denied' END,
    f.id, f.credit_code, f.name, f.industry_code,
    coalesce(f.registered_on::text, '') AS registered_on, f.tech_based,
    f.srdi, f.version,
    to_char(f.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
    to_char(f.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
FROM old f
WHERE NOT EXISTS (SELECT 1 FROM upd);
