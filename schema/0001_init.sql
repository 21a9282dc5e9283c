-- 0001: parks, firms, principals, audit log.
-- Money is bigint fen, area is bigint m2 x 100. Every mutable row has a version.

CREATE TABLE parks (
    id                     bigserial PRIMARY KEY,
    code                   text NOT NULL UNIQUE,
    name                   text NOT NULL,
    district               text NOT NULL,
    operator_name          text NOT NULL,
    operator_credit_code   text NOT NULL,
    operator_legal_person  boolean NOT NULL DEFAULT false,
    staff_count            integer NOT NULL DEFAULT 0 CHECK (staff_count >= 0),
    total_area             bigint NOT NULL DEFAULT 0 CHECK (total_area >= 0),
    leading_industries     text[] NOT NULL DEFAULT '{}',
    level                  text NOT NULL DEFAULT 'base'
                           CHECK (level IN ('base', 'high_level')),
    status                 text NOT NULL DEFAULT 'applied'
                           CHECK (status IN ('applied', 'admitted', 'warned', 'exited')),
    applied_on             date,
    admitted_on            date,
    warned_on              date,
    exited_on              date,
    status_reason          text NOT NULL DEFAULT '',
    version                bigint NOT NULL DEFAULT 1,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX parks_district_idx ON parks (district);
CREATE INDEX parks_status_idx ON parks (status);

CREATE TABLE firms (
    id             bigserial PRIMARY KEY,
    credit_code    text NOT NULL UNIQUE,
    name           text NOT NULL,
    industry_code  text NOT NULL,
    registered_on  date NOT NULL,
    tech_based     boolean NOT NULL DEFAULT false,
    srdi           boolean NOT NULL DEFAULT false,
    version        bigint NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX firms_industry_idx ON firms (industry_code text_pattern_ops);

CREATE TABLE principals (
    id           bigserial PRIMARY KEY,
    name         text NOT NULL,
    fingerprint  text NOT NULL UNIQUE CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
    role         text NOT NULL CHECK (role IN ('admin', 'bureau', 'operator', 'viewer')),
    park_id      bigint REFERENCES parks (id),
    enabled      boolean NOT NULL DEFAULT true,
    version      bigint NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((role = 'operator') = (park_id IS NOT NULL))
);

CREATE TABLE audit_log (
    id               bigserial PRIMARY KEY,
    at               timestamptz NOT NULL DEFAULT now(),
    principal_id     bigint,          -- NULL for the command line (parkd --add-principal)
    principal_name   text NOT NULL,
    method           text NOT NULL,
    object           text NOT NULL,
    idempotency_key  text NOT NULL DEFAULT '',
    change           jsonb NOT NULL
);
CREATE INDEX audit_log_object_idx ON audit_log (object);
