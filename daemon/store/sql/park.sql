-- ParkService.

-- name: park_get
-- One park, by id ($1). park_get_by_code: by code ($1). Two statements,
-- not one with an OR, so that each keeps a plan PostgreSQL can cache.
SELECT @@park_columns@@
FROM parks p
WHERE p.id = $1;

-- name: park_get_by_code
SELECT @@park_columns@@
FROM parks p
WHERE p.code = $1;

-- name: park_list
-- A page of parks by id, each filter '' for any: $1 district, $2 status,
-- $3 level; $4 the last id of the previous page, $5 the caller's park (0:
-- every park), $6 the page size + 1. Three filters, each of which a plan
-- can use an index for or not depending on its value (a district of three
-- parks, a status most parks have): planned per call, as it was when this
-- was a handler's own text.
-- planned per call
SELECT @@park_columns@@
FROM parks p
WHERE ($1 = '' OR p.district = $1) AND ($2 = '' OR p.status = $2)
    AND ($3 = '' OR p.level = $3) AND p.id > $4
    AND ($5::bigint = 0 OR p.id = $5)
ORDER BY p.id
LIMIT $6;

-- fragment: park_list_page
-- pages: 20 100 1000
-- park_list with no filter, for the city-wide roles ($1..$3 are '', $5 is
-- 0): at most @1 rows, the limit in the text (park_list_page_20, _100,
-- _1000; rpc/page.c says why: at 20,000 parks park_list's "LIMIT $6"
-- planned every call, 0.07-0.6 ms, where this one's cached plan takes
-- 0.005 to plan and 0.1 to run a page of 100).
SELECT @@park_columns@@
FROM parks p
WHERE $1 = '' AND $2 = '' AND $3 = '' AND p.id > $4 AND $5::bigint = 0
ORDER BY p.id
LIMIT @1

-- name: park_insert
-- CreatePark, with the audit row ($1..$4): $5 code, $6 name, $7 district,
-- $8 operator name, $9 its credit code, $10 legal person, $11 staff, $12
-- area (m2 x 100), $13 leading industries (comma-separated), $14 level,
-- $15 status, $16 applied on (NULL: today, or the admission date if
-- earlier), $17 admitted on (for a park created admitted; NULL: today),
-- $18 status reason.
WITH ins AS (
    INSERT INTO parks (code, name, district, operator_name,
        operator_credit_code, operator_legal_person, staff_count, total_area,
        leading_industries, level, status, applied_on, admitted_on,
        status_reason)
    VALUES ($5, $6, $7, $8, $9, $10, $11, $12,
        coalesce(string_to_array(nullif($13, ''), ','), '{}'), $14, $15,
        coalesce($16::date, least(current_date, $17::date)),
        CASE WHEN $15 IN ('admitted', 'warned', 'exited')
            THEN coalesce($17::date, current_date) END,
        $18)
    RETURNING *),
@@audit_insert('park:' || ins.code,ins)@@
SELECT @@park_columns@@
FROM ins p;

-- name: park_update
-- UpdatePark, with the audit row ($1..$4): park $5 (id, or 0 and code
-- $6) at version $7, in the caller's scope $8 (0: any park); the fields
-- named in $9 (text[]) take $10 name, $11 district, $12 operator name,
-- $13 its credit code, $14 legal person, $15 staff, $16 area, $17 leading
-- industries (comma-separated), $18 level. outcome: updated; or, with
-- the stored row, stale (another version) or denied (not the caller's).
-- planned per call
WITH old AS (
    SELECT * FROM parks
    WHERE ($5::bigint <> 0 AND id = $5) OR ($5 = 0 AND code = $6)),
upd AS (
    UPDATE parks p SET
        name = CASE WHEN 'name' = ANY($9::text[]) THEN $10
            ELSE p.name END,
        district = CASE WHEN 'district' = ANY($9::text[]) THEN $11
            ELSE p.district END,
        operator_name = CASE WHEN 'operator_name' = ANY($9::text[])
            THEN $12 ELSE p.operator_name END,
        operator_credit_code = CASE WHEN 'operator_credit_code' =
            ANY($9::text[]) THEN $13 ELSE p.operator_credit_code END,
        operator_legal_person = CASE WHEN 'operator_legal_person' =
            ANY($9::text[]) THEN $14::boolean
            ELSE p.operator_legal_person END,
        staff_count = CASE WHEN 'staff_count' = ANY($9::text[])
            THEN $15::integer ELSE p.staff_count END,
        total_area = CASE WHEN 'total_area' = ANY($9::text[])
            THEN $16::bigint ELSE p.total_area END,
        leading_industries = CASE WHEN 'leading_industries' =
            ANY($9::text[])
            THEN coalesce(string_to_array(nullif($17, ''), ','), '{}')
            ELSE p.leading_industries END,
        level = CASE WHEN 'level' = ANY($9::text[]) THEN $18
            ELSE p.level END,
        version = p.version + 1, updated_at = now()
    FROM old
    WHERE p.id = old.id AND p.version = $7 AND ($8::bigint = 0 OR p.id = $8)
    RETURNING p.*),
@@audit_update('park:' || upd.code,$9)@@
SELECT 'updated' AS outcome, @@park_columns@@
FROM upd p
UNION ALL
SELECT CASE WHEN $8 <> 0 AND p.id <> $8 THEN 'denied' ELSE 'stale' END,
    @@park_columns@@
FROM old p
WHERE NOT EXISTS (SELECT 1 FROM upd);

-- name: park_decide
-- A park decision (admit, warn, exit, ...), with the audit row ($1..$4):
-- park $5 (code) moves to status $6 on $7 (date) for reason $8 if its
-- status is one of $9 (text[]) and, unless $10 = 0, its version is $10;
-- on exit its active tenancies end that day (park_exited). outcome done,
-- with the tenancies closed; or refused, with the stored row.
WITH old AS (SELECT * FROM parks WHERE code = $5),
upd AS (
    UPDATE parks p SET status = $6,
        admitted_on = CASE WHEN $6 = 'admitted' THEN $7::date
            ELSE p.admitted_on END,
        warned_on = CASE WHEN $6 = 'warned' THEN $7::date
            ELSE p.warned_on END,
        exited_on = CASE WHEN $6 = 'exited' THEN $7::date
            ELSE p.exited_on END,
        status_reason = $8, version = p.version + 1, updated_at = now()
    FROM old
    WHERE p.id = old.id AND old.status = ANY($9::text[])
        AND ($10::bigint = 0 OR old.version = $10)
    RETURNING p.*),
ten AS (
    UPDATE tenancies t SET status = 'left', exit_date = $7::date,
        exit_reason = 'park_exited', version = t.version + 1,
        updated_at = now()
    FROM upd
    WHERE $6 = 'exited' AND t.park_id = upd.id AND t.status = 'active'
    RETURNING t.id),
aud AS (
    @@audit_by_request@@, 'park:' || upd.code,
        jsonb_build_object('before', to_jsonb(old), 'after', to_jsonb(upd),
            'tenancies_closed', (SELECT count(*) FROM ten))
    FROM upd, old)
SELECT 'done' AS outcome, @@park_columns@@,
    (SELECT count(*) FROM ten) AS closed
FROM upd p
UNION ALL
SELECT 'refused', @@park_columns@@, 0
FROM old p
WHERE NOT EXISTS (SELECT 1 FROM upd);

-- name: park_admit_facts
-- AdmitPark's check: park $1 (code) and the policy of year $2.
SELECT @@park_columns@@, @@year_policy($2)@@
FROM parks p
WHERE p.code = $1;
