-- CreateEvaluationRun is idempotent per principal and key (issue 10): a
-- retry, or the same request sent to two parkd at once (behind a load
-- balancer), yields one run. Runs created without a key are not limited.
ALTER TABLE evaluation_runs ADD COLUMN idempotency_key text NOT NULL
    DEFAULT '';
CREATE UNIQUE INDEX evaluation_runs_idempotency ON evaluation_runs
    (created_by, idempotency_key) WHERE idempotency_key <> '';
