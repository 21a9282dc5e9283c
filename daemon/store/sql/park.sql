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
