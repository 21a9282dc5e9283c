-- 0008: the evaluation as a chain (issue 11): provisional runs of an
-- unfinished year, a public notice (公示) after publication, objections
-- (异议) and their answers, final runs, corrected runs that supersede a
-- published one; per result the grade's amount beside the amount asked and
-- paid, and a position (ranks may now be shared by equal totals).
--
-- A run's life:  draft ──publish──▶ published (notice open) ──finalize──▶ final
--                provisional (never published)      └─ a corrected run is published ─▶ superseded
-- Runs published before this migration warned their parks at publication,
-- as the notice did not exist: they become final.

ALTER TABLE evaluation_runs DROP CONSTRAINT evaluation_runs_status_check;
ALTER TABLE evaluation_runs ADD CONSTRAINT evaluation_runs_status_check
    CHECK (status IN ('draft', 'provisional', 'published', 'final',
        'superseded'));
ALTER TABLE evaluation_runs
    ADD COLUMN notice_days integer NOT NULL DEFAULT 0, -- the policy's
    ADD COLUMN notice_until date,       -- last day of the notice (公示)
    ADD COLUMN finalized_at timestamptz,
    ADD COLUMN corrects bigint REFERENCES evaluation_runs (id),
    ADD COLUMN superseded_by bigint REFERENCES evaluation_runs (id);

ALTER TABLE evaluation_results
    ADD COLUMN grade_amount bigint,     -- what the grade pays, before cuts
    ADD COLUMN position integer,        -- 1..n in ranking order
    ADD COLUMN reason_codes jsonb NOT NULL DEFAULT '[]';  -- beside reasons

ALTER TABLE evaluation_runs DISABLE TRIGGER evaluation_runs_immutable;
ALTER TABLE evaluation_results DISABLE TRIGGER evaluation_results_immutable;
UPDATE evaluation_runs SET status = 'final', finalized_at = published_at
    WHERE status = 'published';
UPDATE evaluation_results SET grade_amount = amount, position = rank;
ALTER TABLE evaluation_runs ENABLE TRIGGER evaluation_runs_immutable;
ALTER TABLE evaluation_results ENABLE TRIGGER evaluation_results_immutable;
ALTER TABLE evaluation_results ALTER COLUMN grade_amount SET NOT NULL,
    ALTER COLUMN position SET NOT NULL;
CREATE UNIQUE INDEX evaluation_results_position_idx ON evaluation_results
    (run_id, position);
DROP INDEX evaluation_results_rank_idx;

-- One run of a year is in notice or final at a time.
DROP INDEX evaluation_runs_one_published;
CREATE UNIQUE INDEX evaluation_runs_one_published ON evaluation_runs (year)
    WHERE status IN ('published', 'final');

-- A published run changes only its status: to final, or to superseded by
-- the corrected run that replaces it; a final or superseded run not at all.
CREATE OR REPLACE FUNCTION evaluation_run_immutable() RETURNS trigger AS $$
BEGIN
    IF OLD.status IN ('draft', 'provisional') THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.status = 'published'
        AND NEW.status IN ('final', 'superseded')
        AND to_jsonb(NEW) - 'status' - 'finalized_at' - 'superseded_by'
            = to_jsonb(OLD) - 'status' - 'finalized_at' - 'superseded_by' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'evaluation run % is % and immutable', OLD.id,
        OLD.status USING ERRCODE = 'check_violation';
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION evaluation_result_immutable() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM evaluation_runs
               WHERE id = OLD.run_id
               AND status NOT IN ('draft', 'provisional')) THEN
        RAISE EXCEPTION 'results of published evaluation run % are immutable',
            OLD.run_id USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

-- An objection (异议) of a park's operator to its result in a run under
-- notice, and the bureau's answer. Kept for good, whatever the run becomes.
CREATE TABLE objections (
    id           bigserial PRIMARY KEY,
    run_id       bigint NOT NULL REFERENCES evaluation_runs (id),
    park_id      bigint NOT NULL REFERENCES parks (id),
    body         text NOT NULL,
    filed_by     text NOT NULL,
    filed_at     timestamptz NOT NULL DEFAULT now(),
    answer       text,
    upheld       boolean,             -- the answer accepts the objection
    answered_by  text,
    answered_at  timestamptz,
    -- one evidence file, optional (as a declaration's: schema/0009)
    evidence_name        text,
    evidence_media_type  text,
    evidence_size        bigint,
    evidence_sha256      text CHECK (evidence_sha256 ~ '^[0-9a-f]{64}$'),
    evidence             bytea,
    CHECK ((answer IS NULL) = (answered_at IS NULL)),
    CHECK ((evidence IS NULL) = (evidence_sha256 IS NULL))
);
CREATE INDEX objections_run_idx ON objections (run_id, park_id);

ALTER TABLE objections ENABLE ROW LEVEL SECURITY;
CREATE POLICY scope_all ON objections FOR ALL
    USING ((SELECT parkd_scope()) IN (0, park_id));

-- Operators read the runs made public (under notice, final, superseded)
-- and their results, as they read published ones before.
DROP POLICY scope_read ON evaluation_runs;
CREATE POLICY scope_read ON evaluation_runs FOR SELECT
    USING ((SELECT parkd_scope()) = 0 OR ((SELECT parkd_scope()) > 0
        AND status IN ('published', 'final', 'superseded')));
DROP POLICY scope_read ON evaluation_results;
CREATE POLICY scope_read ON evaluation_results FOR SELECT
    USING ((SELECT parkd_scope()) = 0 OR ((SELECT parkd_scope()) > 0
        AND EXISTS (SELECT 1 FROM evaluation_runs r WHERE
            r.id = evaluation_results.run_id
            AND r.status IN ('published', 'final', 'superseded'))));
