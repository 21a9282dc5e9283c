-- 0003: park reports, activities, and the idempotency record of pushes.

CREATE TABLE park_reports (
    park_id             bigint NOT NULL REFERENCES parks (id),
    year                integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    quarter             integer NOT NULL CHECK (quarter BETWEEN 1 AND 4),
    staff               integer NOT NULL DEFAULT 0 CHECK (staff >= 0),
    services_delivered  integer NOT NULL DEFAULT 0 CHECK (services_delivered >= 0),
    interns_hosted      integer NOT NULL DEFAULT 0 CHECK (interns_hosted >= 0),
    version             bigint NOT NULL DEFAULT 1,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (park_id, year, quarter)
);

CREATE TABLE activities (
    id            bigserial PRIMARY KEY,
    park_id       bigint NOT NULL REFERENCES parks (id),
    kind          text NOT NULL CHECK (kind IN ('roadshow', 'salon', 'lecture',
                  'training_camp', 'competition', 'specialist_visit',
                  'matchmaking', 'other')),
    date          date NOT NULL,
    title         text NOT NULL,
    participants  integer NOT NULL DEFAULT 0 CHECK (participants >= 0),
    version       bigint NOT NULL DEFAULT 1,
    UNIQUE (park_id, kind, date, title)
);

-- One row per committed push: replaying its key returns this outcome.
CREATE TABLE sync_batches (
    idempotency_key  text PRIMARY KEY,
    principal_id     bigint,
    park_id          bigint NOT NULL REFERENCES parks (id),
    kind             text NOT NULL,
    rows             bigint NOT NULL,
    applied          bigint NOT NULL,
    updated          bigint NOT NULL,
    refused          bigint NOT NULL,
    committed_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sync_refusals (
    idempotency_key  text NOT NULL,
    row_no           bigint NOT NULL,
    field            text NOT NULL,
    rule             text NOT NULL,
    message          text NOT NULL
);
CREATE INDEX sync_refusals_key_idx ON sync_refusals (idempotency_key, row_no);
