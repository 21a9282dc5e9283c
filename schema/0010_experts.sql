-- 0010: expert scores of the policy's qualitative indicators (issue 11).
--
-- The bureau assigns experts (principals of role expert) to parks for a
-- year; each scores the policy's expert indicators of its parks once, with
-- a comment, unless it declares a conflict of interest with the park (then
-- it never scores it). Scores, once submitted, do not change. The
-- evaluation aggregates them (policy expert_aggregation).

CREATE TABLE expert_assignments (
    id            bigserial PRIMARY KEY,
    expert_id     bigint NOT NULL REFERENCES principals (id),
    park_id       bigint NOT NULL REFERENCES parks (id),
    year          integer NOT NULL,
    assigned_by   text NOT NULL,
    assigned_at   timestamptz NOT NULL DEFAULT now(),
    conflict      text,             -- a declared conflict of interest
    comment       text,
    submitted_at  timestamptz,      -- its scores, once
    UNIQUE (expert_id, park_id, year),
    CHECK (conflict IS NULL OR submitted_at IS NULL)
);
CREATE INDEX expert_assignments_year_idx ON expert_assignments (year, park_id);

CREATE TABLE expert_scores (
    assignment_id  bigint NOT NULL REFERENCES expert_assignments (id),
    indicator      text NOT NULL,
    score_cp       integer NOT NULL CHECK (score_cp BETWEEN 0 AND 10000),
    PRIMARY KEY (assignment_id, indicator)
);

-- (written once, in the statement that marks the assignment submitted;
-- the primary key keeps an indicator from being scored twice)
CREATE FUNCTION expert_score_fixed() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'submitted expert scores do not change'
        USING ERRCODE = 'check_violation';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER expert_scores_fixed BEFORE UPDATE OR DELETE
    ON expert_scores FOR EACH ROW EXECUTE FUNCTION expert_score_fixed();

-- Operators see none of it (experts and the bureau act city-wide).
ALTER TABLE expert_assignments ENABLE ROW LEVEL SECURITY;
CREATE POLICY scope_all ON expert_assignments FOR ALL
    USING ((SELECT parkd_scope()) = 0);
ALTER TABLE expert_scores ENABLE ROW LEVEL SECURITY;
CREATE POLICY scope_all ON expert_scores FOR ALL
    USING ((SELECT parkd_scope()) = 0);
