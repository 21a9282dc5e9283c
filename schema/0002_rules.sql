-- 0002: policies, tenancies, certifications, quarterly reports, financing
-- and listing events: what the entry/exit rules read and write.

CREATE TABLE policies (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL,
    hash        text NOT NULL UNIQUE,
    body        text NOT NULL,
    year_from   integer NOT NULL,
    year_to     integer NOT NULL CHECK (year_to >= year_from),
    source      text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- The one policy that rules each year.
CREATE TABLE policy_years (
    year          integer PRIMARY KEY,
    policy_id     bigint NOT NULL REFERENCES policies (id),
    activated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tenancies (
    id             bigserial PRIMARY KEY,
    firm_id        bigint NOT NULL REFERENCES firms (id),
    park_id        bigint NOT NULL REFERENCES parks (id),
    entry_date     date NOT NULL,
    area           bigint NOT NULL CHECK (area > 0),
    status         text NOT NULL DEFAULT 'active'
                   CHECK (status IN ('active', 'graduated', 'cleared', 'left')),
    exit_date      date,
    exit_reason    text NOT NULL DEFAULT '',
    exit_rule      text NOT NULL DEFAULT '',
    waiver_source  text NOT NULL DEFAULT '',
    version        bigint NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'active') = (exit_date IS NULL))
);
-- A firm has at most one active tenancy.
CREATE UNIQUE INDEX tenancies_one_active ON tenancies (firm_id)
    WHERE status = 'active';
CREATE INDEX tenancies_park_idx ON tenancies (park_id, status);
CREATE INDEX tenancies_firm_idx ON tenancies (firm_id, park_id);

CREATE TABLE certifications (
    id          bigserial PRIMARY KEY,
    firm_id     bigint NOT NULL REFERENCES firms (id),
    kind        text NOT NULL
                CHECK (kind IN ('high_tech', 'tech_sme', 'srdi', 'innovative_sme')),
    number      text NOT NULL,
    valid_from  date NOT NULL,
    valid_to    date NOT NULL CHECK (valid_to >= valid_from),
    expired_on  date,
    version     bigint NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, number)
);
CREATE INDEX certifications_firm_idx ON certifications (firm_id);

CREATE TABLE firm_reports (
    firm_id        bigint NOT NULL REFERENCES firms (id),
    year           integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    quarter        integer NOT NULL CHECK (quarter BETWEEN 1 AND 4),
    revenue        bigint NOT NULL DEFAULT 0 CHECK (revenue >= 0),
    jobs           integer NOT NULL DEFAULT 0 CHECK (jobs >= 0),
    graduate_jobs  integer NOT NULL DEFAULT 0 CHECK (graduate_jobs >= 0),
    rnd_spend      bigint NOT NULL DEFAULT 0 CHECK (rnd_spend >= 0),
    ip_granted     integer NOT NULL DEFAULT 0 CHECK (ip_granted >= 0),
    version        bigint NOT NULL DEFAULT 1,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (firm_id, year, quarter)
);

CREATE TABLE firm_financings (
    id        bigserial PRIMARY KEY,
    firm_id   bigint NOT NULL REFERENCES firms (id),
    date      date NOT NULL,
    amount    bigint NOT NULL CHECK (amount > 0),
    investor  text NOT NULL DEFAULT ''
);
CREATE INDEX firm_financings_firm_idx ON firm_financings (firm_id);

CREATE TABLE firm_events (
    id       bigserial PRIMARY KEY,
    firm_id  bigint NOT NULL REFERENCES firms (id),
    kind     text NOT NULL CHECK (kind IN ('acquired', 'listed')),
    date     date NOT NULL,
    detail   text NOT NULL DEFAULT ''
);
CREATE INDEX firm_events_firm_idx ON firm_events (firm_id);
