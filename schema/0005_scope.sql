-- 0005: an operator's scope, written once (README "Operator scope").
-- Every query that reads or writes a firm's rows for an operator calls these
-- functions with the operator's park ($scope), or 0 for the city-wide roles.
-- An operator of park p may
--   write  a firm's identity while it is p's active tenant, or if p registered
--          it and it has never been a tenant anywhere;
--   write  a firm's certifications, financing and events while it is p's
--          active tenant; a quarterly report for a quarter it spent in p (a
--          graduate's last quarter, pushed after it left) or, while it is p's
--          active tenant, before it entered; never for a quarter another park
--          had it as a tenant;
--   read   a firm's identity if it is or was p's tenant (or p registered it
--          and it never entered a park);
--   read   all the facts of p's active tenants, and an ex-tenant's dated
--          facts only for the days it spent in p.

ALTER TABLE firms ADD COLUMN registered_by bigint REFERENCES parks (id);

-- Is f p's active tenant? (p = 0: the city-wide roles, always.)
CREATE FUNCTION scope_firm_write(p bigint, f bigint) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT p = 0 OR EXISTS (SELECT 1 FROM tenancies t WHERE t.firm_id = f
        AND t.park_id = p AND t.status = 'active')
$$;

-- May p rewrite f's name, industry and flags?
CREATE FUNCTION scope_firm_identity_write(p bigint, f bigint) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT scope_firm_write(p, f) OR (EXISTS (SELECT 1 FROM firms x
        WHERE x.id = f AND x.registered_by = p) AND NOT EXISTS (SELECT 1
        FROM tenancies t WHERE t.firm_id = f))
$$;

-- May p read f's facts dated d1..d2? f is p's active tenant, or was p's
-- tenant on some day of d1..d2 (NULL bounds: any day).
CREATE FUNCTION scope_firm_read(p bigint, f bigint, d1 date, d2 date)
RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT p = 0 OR EXISTS (SELECT 1 FROM tenancies t WHERE t.firm_id = f
        AND t.park_id = p AND (t.status = 'active'
        OR ((d2 IS NULL OR t.entry_date <= d2)
        AND (d1 IS NULL OR t.exit_date IS NULL OR t.exit_date >= d1))))
    OR (d1 IS NULL AND d2 IS NULL AND EXISTS (SELECT 1 FROM firms x
        WHERE x.id = f AND x.registered_by = p) AND NOT EXISTS (SELECT 1
        FROM tenancies t WHERE t.firm_id = f))
$$;

CREATE FUNCTION quarter_first(y integer, q integer) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT make_date(y, q * 3 - 2, 1) $$;
CREATE FUNCTION quarter_last(y integer, q integer) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (make_date(y, q * 3 - 2, 1) + interval '3 months' - interval '1 day')::date
$$;

-- May p write f's report for quarter q of year y? f spent (part of) that
-- quarter in p, or is p's active tenant; and no other park had it as a
-- tenant in that quarter.
CREATE FUNCTION scope_report_write(p bigint, f bigint, y integer, q integer)
RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT p = 0 OR ((scope_firm_write(p, f) OR scope_firm_read(p, f,
        quarter_first(y, q), quarter_last(y, q))) AND NOT EXISTS (SELECT 1
        FROM tenancies t WHERE t.firm_id = f AND t.park_id <> p
        AND t.entry_date <= quarter_last(y, q)
        AND (t.exit_date IS NULL OR t.exit_date >= quarter_first(y, q))))
$$;

-- Idempotency keys belong to the principal that used them: one operator
-- cannot learn, or collide with, another's keys.
ALTER TABLE sync_batches ALTER COLUMN principal_id SET DEFAULT 0;
UPDATE sync_batches SET principal_id = 0 WHERE principal_id IS NULL;
ALTER TABLE sync_batches ALTER COLUMN principal_id SET NOT NULL;
ALTER TABLE sync_batches DROP CONSTRAINT sync_batches_pkey;
ALTER TABLE sync_batches ADD PRIMARY KEY (principal_id, idempotency_key);
ALTER TABLE sync_refusals ADD COLUMN principal_id bigint NOT NULL DEFAULT 0;
UPDATE sync_refusals r SET principal_id = b.principal_id FROM sync_batches b
    WHERE b.idempotency_key = r.idempotency_key;
DROP INDEX sync_refusals_key_idx;
CREATE INDEX sync_refusals_key_idx ON sync_refusals (principal_id,
    idempotency_key, row_no);
