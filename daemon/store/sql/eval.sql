-- The evaluation: what parkd reads from PostgreSQL. Parameters in order.

-- name: eval_raw
-- The raw indicators of every park admitted during one year (one row per
-- park, by code); the previous year's streak of failures from its final
-- run. $1 year, $2 its first day, $3 its last day, $4 the award
-- kind that excludes a park, $5 the failing grade, $6 one park (its id; 0:
-- every park: a declaration's figures are this query's for its park). Run
-- with plan_cache_mode force_custom_plan: $6 = 0 then folds every park
-- filter away, and the plan is the city-wide one.
--
-- One pass over each input table: tenancies to (park, firm) pairs, firm
-- reports and certifications to one row per firm, joined by hash on the
-- firm; then every source's rows, one per park or (park, firm), meet in
-- one UNION ALL grouped by park instead of a chain of joins on the park:
-- PostgreSQL cannot estimate how many parks an aggregate yields (it
-- guesses 200), and on a chain of joins that guess made nested loops over
-- 20,000 parks (national data set: 16 s, bench/bench-eval.sh). The pairs
-- are grouped firm first, so that with hash joins off (svc/eval/create.c)
-- tenancies, firms, certifications and reports meet in merge joins, each
-- read once in firm order through its index: no hash table of a million
-- rows is built (7.3 s -> 4.2 s on the national data set).
WITH pf AS (SELECT park_id, firm_id,
        count(*) FILTER (WHERE at_end) AS tenants,
        coalesce(sum(area) FILTER (WHERE at_end), 0) AS occupied,
        count(*) FILTER (WHERE entry_date >= $2::date) AS new_entries,
        count(*) FILTER (WHERE status = 'graduated'
            AND exit_date <= $3::date) AS graduates
    FROM (SELECT park_id, firm_id, entry_date, exit_date, status, area,
            exit_date IS NULL OR exit_date > $3::date AS at_end
        FROM tenancies
        WHERE entry_date <= $3::date
            AND (exit_date IS NULL OR exit_date >= $2::date)
            AND ($6::bigint = 0 OR park_id = $6)) t
    GROUP BY firm_id, park_id),
cert AS (SELECT firm_id, bool_or(kind = 'high_tech') AS high_tech,
        bool_or(kind = 'srdi') AS srdi
    FROM certifications
    WHERE valid_from <= $3::date AND valid_to >= $3::date
        AND (expired_on IS NULL OR expired_on > $3::date)
        AND ($6::bigint = 0 OR firm_id IN (SELECT firm_id FROM tenancies
            WHERE park_id = $6))
    GROUP BY firm_id),
-- a firm's year: revenue and IP summed, jobs as of its last quarter (the
-- quarter in the high bits, so that max() picks the last one's figure;
-- jobs are stored from 0 to 2^31 - 1)
fr AS (SELECT firm_id,
        sum(revenue) FILTER (WHERE year = $1) AS revenue,
        sum(revenue) FILTER (WHERE year = $1 - 1) AS revenue_prev,
        sum(ip_granted) FILTER (WHERE year = $1) AS ip,
        max(quarter::bigint << 32 | jobs) FILTER (WHERE year = $1)
            & 4294967295 AS jobs,
        max(quarter::bigint << 32 | graduate_jobs) FILTER (WHERE year = $1)
            & 4294967295 AS graduate_jobs
    FROM firm_reports
    WHERE year BETWEEN $1 - 1 AND $1
        AND ($6::bigint = 0 OR firm_id IN (SELECT firm_id FROM tenancies
            WHERE park_id = $6))
    GROUP BY firm_id),
prun AS (SELECT max(id) AS id
    FROM evaluation_runs
    WHERE status = 'final' AND year = $1 - 1),
u AS (
    SELECT id AS park_id, code, name, district, total_area,
        operator_legal_person, staff_count, admitted_on, exited_on,
        0::bigint AS tenants, 0::bigint AS occupied, 0::bigint AS new_entries,
        0::bigint AS graduates, 0::bigint AS tech, 0::bigint AS high_tech,
        0::bigint AS srdi, 0::bigint AS revenue, 0::bigint AS revenue_prev,
        0::bigint AS ip, 0::bigint AS jobs, 0::bigint AS graduate_jobs,
        0::bigint AS interns, 0::bigint AS services, 0::bigint AS activities,
        0::bigint AS roadshows, 0::bigint AS roadshow_quarters,
        false AS has_award, false AS pv_found, 0 AS pv_fails
    FROM parks
    WHERE admitted_on IS NOT NULL AND admitted_on <= $3::date
        AND (exited_on IS NULL OR exited_on >= $2::date)
        AND ($6::bigint = 0 OR id = $6)
    UNION ALL
    SELECT pf.park_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
        sum(pf.tenants), sum(pf.occupied), sum(pf.new_entries),
        sum(pf.graduates),
        sum(CASE WHEN f.tech_based THEN pf.tenants ELSE 0 END),
        sum(CASE WHEN c.high_tech THEN pf.tenants ELSE 0 END),
        sum(CASE WHEN f.srdi OR coalesce(c.srdi, false) THEN pf.tenants
            ELSE 0 END),
        coalesce(sum(fr.revenue), 0), coalesce(sum(fr.revenue_prev), 0),
        coalesce(sum(fr.ip), 0), coalesce(sum(fr.jobs), 0),
        coalesce(sum(fr.graduate_jobs), 0), 0, 0, 0, 0, 0, false, false, 0
    FROM pf
    JOIN firms f ON f.id = pf.firm_id
    LEFT JOIN cert c ON c.firm_id = pf.firm_id
    LEFT JOIN fr ON fr.firm_id = pf.firm_id
    GROUP BY pf.park_id
    UNION ALL
    SELECT park_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, interns_hosted,
        services_delivered, 0, 0, 0, false, false, 0
    FROM park_reports
    WHERE year = $1 AND ($6::bigint = 0 OR park_id = $6)
    UNION ALL
    SELECT park_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, count(*),
        count(*) FILTER (WHERE kind = 'roadshow'),
        count(DISTINCT extract(quarter FROM date))
            FILTER (WHERE kind = 'roadshow'), false, false, 0
    FROM activities
    WHERE date BETWEEN $2::date AND $3::date
        AND ($6::bigint = 0 OR park_id = $6)
    GROUP BY park_id
    UNION ALL
    SELECT park_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, true, false, 0
    FROM awards
    WHERE year = $1 AND kind = $4 AND ($6::bigint = 0 OR park_id = $6)
    UNION ALL
    SELECT er.park_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, false, true,
        CASE WHEN er.grade = $5 THEN er.consecutive_fails ELSE 0 END
    FROM evaluation_results er, prun
    WHERE er.run_id = prun.id AND ($6::bigint = 0 OR er.park_id = $6))
SELECT park_id AS id, max(code) AS code, max(name) AS name,
    max(district) AS district, max(total_area) AS total_area,
    bool_or(operator_legal_person) AS operator_legal_person,
    max(staff_count) AS staff_count,
    bool_and(exited_on IS NULL OR exited_on > $3::date) AS admitted,
    max(admitted_on)::text AS admitted_on,
    sum(tenants)::bigint AS tenants, sum(occupied)::bigint AS occupied,
    sum(new_entries)::bigint AS new_entries,
    sum(graduates)::bigint AS graduates, sum(tech)::bigint AS tech,
    sum(high_tech)::bigint AS high_tech, sum(srdi)::bigint AS srdi,
    sum(revenue)::bigint AS revenue,
    sum(revenue_prev)::bigint AS revenue_prev, sum(ip)::bigint AS ip,
    sum(jobs)::bigint AS jobs, sum(graduate_jobs)::bigint AS graduate_jobs,
    sum(interns)::bigint AS interns, sum(services)::bigint AS services,
    sum(activities)::bigint AS activities,
    sum(roadshows)::bigint AS roadshows,
    sum(roadshow_quarters)::bigint AS roadshow_quarters,
    bool_or(has_award) AS has_award,
    CASE WHEN bool_or(pv_found) THEN max(pv_fails)
        WHEN (SELECT id FROM prun) IS NOT NULL
            AND max(admitted_on) < $2::date THEN 1
        ELSE 0 END AS prev_fails
FROM u
GROUP BY park_id
HAVING count(code) > 0
ORDER BY max(code);

-- name: eval_run_insert
-- Store a scored run and its results, with the audit row. $1..$4 the audit
-- (principal id, principal name, method, idempotency key); $5 year, $6 the
-- policy's hash, $7 budget (NULL: none), $8 requested, $9 total, $10
-- remainder, $11 parks, $12 downgraded, $13 summary (JSON), $14 the failing
-- grade, $15 status (draft or provisional), $16 the policy's notice days,
-- $17 the published run it corrects (0: none), $18 the indicators'
-- definitions (JSON, schema/0012); $19..$34 the results, one array per
-- column; $35..$37 every result's raw figures, scores and contributions,
-- $38 of them per result, one result after the other.
-- The raw query's custom plans (plan_cache_mode, create.c) end first: the
-- foreign-key checks of the results, run after the statement, were each
-- planned again under force_custom_plan (0.6 s of a national run).
WITH cfg AS MATERIALIZED (
    SELECT set_config('plan_cache_mode', 'auto', true) AS plan_cache_mode),
ru AS (
    INSERT INTO evaluation_runs (year, policy_id, budget, requested, total,
        remainder, parks, downgraded, summary, fail_grade, created_by,
        idempotency_key, status, notice_days, corrects, indicator_defs)
    SELECT $5, (SELECT id FROM policies WHERE hash = $6), $7, $8, $9, $10,
        $11, $12, $13::jsonb, $14, $2, $4, $15, $16, nullif($17::bigint, 0),
        $18::jsonb
    FROM cfg
    RETURNING *),
res AS (
    INSERT INTO evaluation_results (run_id, park_id, park_code, park_name,
        district, rank, total_cp, grade, grade_name, eligible, amount,
        subsidy, consecutive_fails, reasons, grade_amount, position,
        reason_codes, raw, score_cp, contribution_cp)
    SELECT (SELECT id FROM ru), u.park_id, u.code, u.name, u.district,
        u.rank, u.total_cp, u.grade, u.grade_name, u.eligible, u.amount,
        u.subsidy, u.fails, u.reasons, u.grade_amount, u.position, u.codes,
        ($35::bigint[])[(u.n - 1) * $38 + 1:u.n * $38],
        ($36::int[])[(u.n - 1) * $38 + 1:u.n * $38],
        ($37::int[])[(u.n - 1) * $38 + 1:u.n * $38]
    FROM unnest($19::bigint[], $20::text[], $21::text[], $22::text[],
        $23::int[], $24::int[], $25::text[], $26::text[], $27::boolean[],
        $28::bigint[], $29::bigint[], $30::int[], $31::jsonb[], $32::bigint[],
        $33::int[], $34::jsonb[]) WITH ORDINALITY AS u(park_id, code, name,
        district, rank, total_cp, grade, grade_name, eligible, amount, subsidy,
        fails, reasons, grade_amount, position, codes, n)
    RETURNING 1),
aud AS (
    @@audit_by_request@@, 'evaluation_run:' || ru.id,
        jsonb_build_object('year', ru.year, 'total', ru.total,
            'parks', ru.parks, 'status', ru.status, 'corrects', ru.corrects)
    FROM ru)
SELECT @@run_columns@@
FROM ru;

-- name: eval_run_by_key
-- The run principal $1 created with idempotency key $2 (none: no row).
SELECT @@run_columns@@
FROM evaluation_runs ru
WHERE ru.created_by = $1 AND ru.idempotency_key = $2 AND $2 <> '';

-- name: eval_result_get
-- One park's result ($2 park code) in run $1, with what decides who may
-- read it (the park and the run's status). Its indicators: a run stored
-- since schema 0012 keeps their definitions once (indicator_defs, sent only
-- if $3: parkd keeps them once read, svc/eval/defs.c) and each result its
-- figures as three arrays in their order; an older result its JSON
-- (indicators).
SELECT @@result_columns@@, er.park_id, ru.status,
    er.indicators::text AS indicators, er.raw::text AS raw,
    er.score_cp::text AS score_cp,
    er.contribution_cp::text AS contribution_cp,
    CASE WHEN $3 THEN ru.indicator_defs::text END AS indicator_defs
FROM evaluation_results er
JOIN evaluation_runs ru ON ru.id = er.run_id
WHERE er.run_id = $1 AND er.park_code = $2;

-- name: eval_run_get
-- Run $1; an operator ($2, its park; 0: city-wide) sees runs made public.
SELECT @@run_columns@@
FROM evaluation_runs ru
WHERE ru.id = $1 AND ($2::bigint = 0
    OR ru.status IN ('published', 'final', 'superseded'));

-- name: eval_run_list
-- The runs of year $1 (0: every year); an operator ($2) sees public ones.
SELECT @@run_columns@@
FROM evaluation_runs ru
WHERE ($1 = 0 OR ru.year = $1)
    AND ($2 = 0 OR ru.status IN ('published', 'final', 'superseded'))
ORDER BY ru.id;

-- name: eval_result_list
-- A page of run $1's results in ranking order after position $2, $3 the
-- page size + 1, for the city-wide roles ($4 is 0: unused).
SELECT @@result_columns@@
FROM evaluation_results er
WHERE er.run_id = $1 AND er.position > $2 AND $4::bigint = 0
ORDER BY er.position
LIMIT $3;

-- name: eval_result_list_scoped
-- eval_result_list for an operator ($4, its park): its own result of a run
-- made public (published, final, superseded), found by the results' key.
-- With "$4 = 0 OR" in one statement, a cached plan (and a fresh one while
-- the statistics did not know the run) read every result of the run in
-- ranking order to find the park's: 8-18 ms at 20,000 parks, not 0.1.
SELECT @@result_columns@@
FROM evaluation_results er
JOIN evaluation_runs ru ON ru.id = er.run_id
WHERE er.run_id = $1 AND er.park_id = $4 AND er.position > $2
    AND ru.status IN ('published', 'final', 'superseded')
ORDER BY er.position
LIMIT $3;

-- name: eval_run_lock
-- Run $1, locked for a change of status, with what decides it: the run it
-- corrects and that run's status, another run of its year in notice or
-- final (0: none), and the objections not answered yet to it or to the
-- runs it corrects (the corrections answer them, the bureau still must).
SELECT ru.id, ru.year, ru.status, ru.notice_days,
    coalesce(ru.notice_until::text, '') AS notice_until,
    coalesce(ru.corrects, 0) AS corrects,
    coalesce((SELECT c.status FROM evaluation_runs c
        WHERE c.id = ru.corrects), '') AS corrects_status,
    coalesce((SELECT o.id FROM evaluation_runs o
        WHERE o.year = ru.year AND o.status IN ('published', 'final')
            AND o.id <> ru.id AND o.id IS DISTINCT FROM ru.corrects
        LIMIT 1), 0) AS other,
    coalesce((SELECT string_agg(o.id::text, ', ' ORDER BY o.id)
        FROM objections o
        WHERE o.answer IS NULL AND o.run_id IN (
            WITH RECURSIVE c(id) AS (
                SELECT ru.id
                UNION
                SELECT r2.corrects
                FROM evaluation_runs r2
                JOIN c ON r2.id = c.id
                WHERE r2.corrects IS NOT NULL)
            SELECT id FROM c)), '') AS open_objections
FROM (SELECT pg_advisory_xact_lock(@@run_lock_class@@,
        ($1::bigint & 2147483647)::int)) l,
    evaluation_runs ru
WHERE ru.id = $1
FOR UPDATE OF ru;

-- name: eval_run_supersede
-- The published run $1 (0: none) replaced by the corrected run $2.
UPDATE evaluation_runs SET status = 'superseded', superseded_by = $2
WHERE id = $1 AND status = 'published'
RETURNING id;

-- name: eval_run_publish
-- Publish draft $5: its notice runs to $6 (NULL: no notice), with the
-- audit row ($1..$4); warned lists the parks it grades failing (warned
-- when the run becomes final).
WITH ru AS (
    UPDATE evaluation_runs SET status = 'published', published_at = now(),
        notice_until = $6::date
    WHERE id = $5 AND status = 'draft'
    RETURNING *),
aud AS (
    @@audit_by_request@@, 'evaluation_run:' || ru.id,
        jsonb_build_object('published', true, 'notice_until',
            ru.notice_until, 'supersedes', ru.corrects)
    FROM ru)
SELECT @@run_columns@@,
    coalesce((SELECT string_agg(er.park_code, ',' ORDER BY er.position)
        FROM evaluation_results er
        WHERE er.run_id = ru.id AND er.grade = ru.fail_grade), '') AS warned
FROM ru;

-- name: eval_run_finalize
-- Run $5 final, with the audit row ($1..$4): its failing parks still
-- admitted are warned (warned lists them).
WITH ru AS (
    UPDATE evaluation_runs SET status = 'final', finalized_at = now()
    WHERE id = $5 AND status = 'published'
    RETURNING *),
w AS (
    UPDATE parks p SET status = 'warned', warned_on = current_date,
        status_reason = 'evaluation ' || ru.year || ': ' || er.grade_name,
        version = p.version + 1, updated_at = now()
    FROM ru, evaluation_results er
    WHERE er.run_id = ru.id AND er.park_id = p.id
        AND er.grade = ru.fail_grade AND p.status = 'admitted'
    RETURNING p.code),
aud AS (
    @@audit_by_request@@, 'evaluation_run:' || ru.id,
        jsonb_build_object('final', true, 'warned',
            (SELECT coalesce(jsonb_agg(code ORDER BY code), '[]') FROM w))
    FROM ru)
SELECT @@run_columns@@,
    coalesce((SELECT string_agg(code, ',' ORDER BY code) FROM w), '')
        AS warned
FROM ru;

-- name: eval_run_delete
-- Delete draft or provisional run $5 and its results, with the audit row
-- ($1..$4); the run as it was (none: no such run).
WITH cur AS (SELECT * FROM evaluation_runs WHERE id = $5),
dr AS (
    DELETE FROM evaluation_results
    WHERE run_id = $5
        AND (SELECT status FROM cur) IN ('draft', 'provisional')
    RETURNING 1),
d AS (
    DELETE FROM evaluation_runs
    WHERE id = $5 AND status IN ('draft', 'provisional')
        AND (SELECT count(*) FROM dr) >= 0
    RETURNING id),
aud AS (
    @@audit_by_request@@, 'evaluation_run:' || d.id,
        jsonb_build_object('deleted', true)
    FROM d)
SELECT @@run_columns@@
FROM cur ru;

-- name: eval_year_lock
-- The run of year $1 in notice or final (no row: none), locked against
-- becoming final while a budget or award of the year changes.
SELECT ru.id, ru.status, coalesce(ru.notice_until::text, '') AS notice_until,
    coalesce(to_char(ru.finalized_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), '')
        AS finalized_on
FROM evaluation_runs ru
WHERE ru.year = $1 AND ru.status IN ('published', 'final')
FOR SHARE;

-- name: eval_budget_set
-- The budget of year $5 ($6 fen), with the audit row ($1..$4).
WITH b AS (
    INSERT INTO evaluation_budgets (year, amount) VALUES ($5, $6)
    ON CONFLICT (year) DO UPDATE SET amount = EXCLUDED.amount, set_at = now()
    RETURNING *),
aud AS (
    @@audit_by_request@@, 'budget:' || b.year,
        to_jsonb(b)
    FROM b)
SELECT year FROM b;

-- name: eval_award_add
-- An award of park $5 (code) for year $6: $7 kind, $8 amount (fen), with
-- the audit row ($1..$4). No row: no such park.
WITH x AS (
    INSERT INTO awards (park_id, year, kind, amount)
    SELECT id, $6, $7, $8 FROM parks WHERE code = $5
    RETURNING *),
aud AS (
    @@audit_by_request@@, 'park:' || $5,
        jsonb_build_object('award', to_jsonb(x))
    FROM x)
SELECT id FROM x;

-- name: objection_target
-- Run $1 and the result in it of park $2 (code): no row, no such run;
-- park_id 0, no result for that park. The run's advisory lock (shared;
-- eval_run_lock takes it exclusive) keeps it from becoming final while an
-- objection is filed: an operator may not lock the run's row itself
-- (row-level security).
SELECT ru.status, coalesce(ru.notice_until::text, '') AS notice_until,
    coalesce(er.park_id, 0) AS park_id
FROM (SELECT pg_advisory_xact_lock_shared(@@run_lock_class@@,
        ($1::bigint & 2147483647)::int)) l,
    evaluation_runs ru
LEFT JOIN evaluation_results er ON er.run_id = ru.id AND er.park_code = $2
WHERE ru.id = $1;

-- name: objection_file
-- An objection of park $6 to its result in run $5 ($7 the text; $8..$12
-- an evidence file's name, media type, size, SHA-256 and content in hex,
-- all NULL for none), with the audit row ($1..$4).
WITH o AS (
    INSERT INTO objections (run_id, park_id, body, filed_by, evidence_name,
        evidence_media_type, evidence_size, evidence_sha256, evidence)
    VALUES ($5, $6, $7, $2, $8, $9, $10, $11, decode($12, 'hex'))
    RETURNING *),
aud AS (
    @@audit_by_request@@, 'objection:' || o.id,
        jsonb_build_object('run', o.run_id, 'park', o.park_id)
    FROM o)
SELECT @@objection_columns@@
FROM o;

-- name: objection_lock
-- Objection $1 and its run's status, locked for the answer (no row: none).
SELECT o.id, o.answer IS NOT NULL AS answered,
    coalesce(o.answered_by, '') AS answered_by, ru.id AS run_id, ru.status
FROM objections o
JOIN evaluation_runs ru ON ru.id = o.run_id
WHERE o.id = $1
FOR UPDATE OF o;

-- name: objection_answer
-- The bureau's answer $6 (upheld $7) to objection $5, with the audit row
-- ($1..$4).
WITH o AS (
    UPDATE objections SET answer = $6, upheld = $7, answered_by = $2,
        answered_at = now()
    WHERE id = $5 AND answer IS NULL
    RETURNING *),
aud AS (
    @@audit_by_request@@, 'objection:' || o.id,
        jsonb_build_object('upheld', o.upheld)
    FROM o)
SELECT @@objection_columns@@
FROM o;

-- name: objection_evidence
-- Objection $1's evidence file (content in hex) and its park.
SELECT o.id, 'objection' AS kind, coalesce(o.evidence_name, '') AS name,
    coalesce(o.evidence_media_type, '') AS media_type,
    coalesce(o.evidence_size, 0) AS size,
    coalesce(o.evidence_sha256, '') AS sha256, o.filed_by AS added_by,
    to_char(o.filed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        AS added_at,
    coalesce(encode(o.evidence, 'hex'), '') AS content, o.park_id
FROM objections o
WHERE o.id = $1;

-- name: objection_list
-- The objections to run $1; an operator ($2, its park; 0: city-wide) sees
-- its own.
SELECT @@objection_columns@@
FROM objections o
WHERE o.run_id = $1 AND ($2::bigint = 0 OR o.park_id = $2)
ORDER BY o.id;

-- name: eval_create_inputs
-- CreateEvaluationRun, first in its transaction: the policy of year $1,
-- the year's budget (NULL: none), the status of the run $2 corrects (''
-- for none), and the transaction's settings for the raw-indicator query
-- (svc/eval/create.c says why: no JIT, no parallel workers, no hash
-- joins, a custom plan).
SELECT @@year_policy($1)@@,
    (SELECT amount FROM evaluation_budgets WHERE year = $1) AS budget,
    coalesce((SELECT status FROM evaluation_runs
        WHERE id = $2 AND year = $1), '') AS corrects_status,
    set_config('jit', 'off', true) AS jit,
    set_config('max_parallel_workers_per_gather', '0', true) AS par,
    set_config('enable_hashjoin', 'off', true) AS hj,
    set_config('plan_cache_mode', 'force_custom_plan', true) AS pcm;
