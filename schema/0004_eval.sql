-- 0004: the yearly evaluation: awards, budgets, runs and their results.
-- Results of a published run are immutable (triggers refuse any change).

CREATE TABLE awards (
    id       bigserial PRIMARY KEY,
    park_id  bigint NOT NULL REFERENCES parks (id),
    year     integer NOT NULL,
    kind     text NOT NULL,
    amount   bigint NOT NULL CHECK (amount >= 0),
    UNIQUE (park_id, year, kind)
);

CREATE TABLE evaluation_budgets (
    year    integer PRIMARY KEY,
    amount  bigint NOT NULL CHECK (amount >= 0),
    set_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE evaluation_runs (
    id             bigserial PRIMARY KEY,
    year           integer NOT NULL,
    policy_id      bigint NOT NULL REFERENCES policies (id),
    status         text NOT NULL DEFAULT 'draft'
                   CHECK (status IN ('draft', 'published')),
    budget         bigint,            -- NULL: no budget set for the year
    requested      bigint NOT NULL,
    total          bigint NOT NULL,
    remainder      bigint NOT NULL,
    parks          integer NOT NULL,
    downgraded     integer NOT NULL,
    fail_grade     text NOT NULL,     -- the grade that warns a park
    summary        jsonb NOT NULL,    -- grade counts, city figures, targets
    created_by     text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    published_at   timestamptz
);
CREATE UNIQUE INDEX evaluation_runs_one_published ON evaluation_runs (year)
    WHERE status = 'published';

CREATE TABLE evaluation_results (
    run_id             bigint NOT NULL REFERENCES evaluation_runs (id),
    park_id            bigint NOT NULL REFERENCES parks (id),
    park_code          text NOT NULL,
    park_name          text NOT NULL,
    district           text NOT NULL,
    rank               integer NOT NULL,
    total_cp           integer NOT NULL,
    grade              text NOT NULL,
    grade_name         text NOT NULL,
    eligible           boolean NOT NULL,
    amount             bigint NOT NULL,
    subsidy            bigint NOT NULL CHECK (subsidy >= 0),
    consecutive_fails  integer NOT NULL,
    reasons            jsonb NOT NULL,
    indicators         jsonb NOT NULL,
    PRIMARY KEY (run_id, park_id)
);
CREATE INDEX evaluation_results_rank_idx ON evaluation_results (run_id, rank);

CREATE FUNCTION evaluation_run_immutable() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'published' THEN
        RAISE EXCEPTION 'evaluation run % is published and immutable', OLD.id
            USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER evaluation_runs_immutable BEFORE UPDATE OR DELETE
    ON evaluation_runs FOR EACH ROW EXECUTE FUNCTION evaluation_run_immutable();

CREATE FUNCTION evaluation_result_immutable() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM evaluation_runs
               WHERE id = OLD.run_id AND status = 'published') THEN
        RAISE EXCEPTION 'results of published evaluation run % are immutable',
            OLD.run_id USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER evaluation_results_immutable BEFORE UPDATE OR DELETE
    ON evaluation_results FOR EACH ROW
    EXECUTE FUNCTION evaluation_result_immutable();
