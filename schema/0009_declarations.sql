-- 0009: annual declarations (年度申报), their evidence and review (issue
-- 11); the district reviewer and expert roles.
--
-- A declaration freezes what a park declares for a year: its figures for
-- the evaluation (the columns of store/sql/eval.sql's eval_raw for the
-- park) and its tenants at the year's end, assembled from what was synced.
-- Evidence files are kept here, in PostgreSQL (bytea), not in a directory:
-- one pg_dump backs up the declaration with its proof, a standby holds it,
-- a file is written in the same transaction as its row (no orphan on
-- disk, no row without its file), and the caps (parkd.conf) keep them
-- small. Every step is an event: who, when, what.

ALTER TABLE principals DROP CONSTRAINT principals_role_check;
ALTER TABLE principals ADD CONSTRAINT principals_role_check
    CHECK (role IN ('admin', 'bureau', 'operator', 'viewer', 'district',
        'expert'));
ALTER TABLE principals ADD COLUMN district text;
ALTER TABLE principals ADD CONSTRAINT principals_district_check
    CHECK ((role = 'district') = (district IS NOT NULL));

CREATE TABLE declarations (
    id            bigserial PRIMARY KEY,
    park_id       bigint NOT NULL REFERENCES parks (id),
    year          integer NOT NULL,
    status        text NOT NULL DEFAULT 'draft'
                  CHECK (status IN ('draft', 'submitted', 'returned',
                      'approved')),
    figures       jsonb NOT NULL,
    tenants       jsonb NOT NULL,
    assembled_at  timestamptz NOT NULL DEFAULT now(),
    submitted_at  timestamptz,
    decided_at    timestamptz,
    version       bigint NOT NULL DEFAULT 1,
    UNIQUE (park_id, year)
);

CREATE TABLE declaration_evidence (
    id              bigserial PRIMARY KEY,
    declaration_id  bigint NOT NULL REFERENCES declarations (id),
    kind            text NOT NULL
                    CHECK (kind IN ('commitment_letter', 'other')),
    name            text NOT NULL,
    media_type      text NOT NULL,
    size            bigint NOT NULL CHECK (size > 0),
    sha256          text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content         bytea NOT NULL,
    added_by        text NOT NULL,
    added_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (declaration_id, sha256)
);

CREATE TABLE declaration_events (
    id              bigserial PRIMARY KEY,
    declaration_id  bigint NOT NULL REFERENCES declarations (id),
    park_id         bigint NOT NULL REFERENCES parks (id),  -- for its policy
    action          text NOT NULL CHECK (action IN ('assembled', 'evidence',
                        'submitted', 'returned', 'approved')),
    actor           text NOT NULL,
    at              timestamptz NOT NULL DEFAULT now(),
    comment         text NOT NULL DEFAULT ''
);
CREATE INDEX declaration_events_idx ON declaration_events (declaration_id, id);

-- Submitted and approved declarations do not change their figures; the
-- evidence of a declaration that is not a draft or returned is fixed.
CREATE FUNCTION declaration_frozen() RETURNS trigger AS $$
BEGIN
    IF OLD.status IN ('submitted', 'approved')
        AND (NEW.figures IS DISTINCT FROM OLD.figures
            OR NEW.tenants IS DISTINCT FROM OLD.tenants) THEN
        RAISE EXCEPTION 'declaration % is % and frozen', OLD.id, OLD.status
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER declarations_frozen BEFORE UPDATE ON declarations
    FOR EACH ROW EXECUTE FUNCTION declaration_frozen();

CREATE FUNCTION declaration_evidence_frozen() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM declarations d
               WHERE d.id = coalesce(NEW.declaration_id, OLD.declaration_id)
               AND d.status IN ('submitted', 'approved')) THEN
        RAISE EXCEPTION 'the evidence of a submitted declaration is fixed'
            USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER declaration_evidence_frozen
    BEFORE INSERT OR UPDATE OR DELETE ON declaration_evidence
    FOR EACH ROW EXECUTE FUNCTION declaration_evidence_frozen();

-- An operator sees and writes its own park's declaration only.
ALTER TABLE declarations ENABLE ROW LEVEL SECURITY;
CREATE POLICY scope_all ON declarations FOR ALL
    USING ((SELECT parkd_scope()) IN (0, park_id));
ALTER TABLE declaration_evidence ENABLE ROW LEVEL SECURITY;
CREATE POLICY scope_all ON declaration_evidence FOR ALL
    USING ((SELECT parkd_scope()) = 0 OR EXISTS (SELECT 1 FROM declarations d
        WHERE d.id = declaration_evidence.declaration_id
        AND d.park_id = (SELECT parkd_scope())));
-- (an event is written in the statement that writes its declaration,
-- which a policy's sub-select would not see yet: it names its park)
ALTER TABLE declaration_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY scope_all ON declaration_events FOR ALL
    USING ((SELECT parkd_scope()) IN (0, park_id));
