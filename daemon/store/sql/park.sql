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
