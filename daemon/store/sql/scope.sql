-- The request's scope on its connection (schema/0006_rls.sql).

-- name: scope_set
-- $1 'all' (the city-wide roles: no row-level security) or an operator's
-- park id (role parkd_park, rows of that park only; rpc/rpc.h's
-- OPERATOR_ROLE). Session-wide: it stays until set again.
SELECT set_config('role', CASE WHEN $1 = 'all' THEN 'none'
        ELSE 'parkd_park' END, false),
    set_config('parkd.scope', $1, false);
