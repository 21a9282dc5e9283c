-- 0006: row-level security, the second enforcement of 0005's scope.
--
-- An operator's requests run as the role parkd_park (SET ROLE, made by
-- parkd on the pool connection before the request uses it) with parkd.scope
-- set to the operator's park; these policies apply to that role. City-wide
-- requests and parkd's own work run as the tables' owner, which row-level
-- security leaves alone, so the evaluation's big query plans as before.
-- So a query path in parkd that forgot the scope check still cannot cross
-- parks for an operator. parkd_park must exist and be granted to parkd's
-- login role (README "Running parkd"); parkd grants it the tables at each
-- start (migrate.c), and without it operators are refused.
--
-- The scope functions get parkd_scope() itself, not (SELECT parkd_scope()):
-- a sub-select argument used more than once keeps PostgreSQL from inlining
-- them. As parkd_park without a scope ('none', or unset) nothing is seen.
--
-- Left open on purpose (parkd's scope function guards them): reading parks,
-- firms and tenancies of other parks (the entry rules must see where a firm
-- is active) and published evaluation results (they are publicly notified).

CREATE FUNCTION parkd_scope() RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE coalesce(current_setting('parkd.scope', true), '')
        WHEN 'all' THEN 0::bigint
        WHEN '' THEN -1::bigint
        WHEN 'none' THEN -1::bigint
        ELSE current_setting('parkd.scope', true)::bigint END
$$;

-- A firm's quarterly reports: its days in the park, its quarters as tenant.
-- The busiest table: its policies spell out scope_firm_read and
-- scope_report_write (0005) as sub-selects, which PostgreSQL plans as index
-- probes; a SQL function holding a sub-select is never inlined, and calling
-- it once per row made an operator's push of 1,000,000 reports eight times
-- slower. Same rules, same words as 0005.
ALTER TABLE firm_reports ENABLE ROW LEVEL SECURITY;
CREATE POLICY scope_read ON firm_reports FOR SELECT
    USING ((SELECT parkd_scope()) = 0 OR EXISTS (SELECT 1 FROM tenancies t
        WHERE t.firm_id = firm_reports.firm_id
        AND t.park_id = (SELECT parkd_scope()) AND (t.status = 'active' OR
        (t.entry_date <= quarter_last(year, quarter) AND (t.exit_date IS NULL
        OR t.exit_date >= quarter_first(year, quarter))))));
CREATE POLICY scope_insert ON firm_reports FOR INSERT
    WITH CHECK ((SELECT parkd_scope()) = 0 OR (EXISTS (SELECT 1 FROM tenancies t
        WHERE t.firm_id = firm_reports.firm_id
        AND t.park_id = (SELECT parkd_scope()) AND (t.status = 'active' OR
        (t.entry_date <= quarter_last(year, quarter) AND (t.exit_date IS NULL
        OR t.exit_date >= quarter_first(year, quarter)))))
    AND NOT EXISTS (SELECT 1 FROM tenancies t
        WHERE t.firm_id = firm_reports.firm_id
        AND t.park_id <> (SELECT parkd_scope())
        AND t.entry_date <= quarter_last(year, quarter)
        AND (t.exit_date IS NULL OR t.exit_date >= quarter_first(year, quarter)))));
CREATE POLICY scope_update ON firm_reports FOR UPDATE
    USING ((SELECT parkd_scope()) = 0 OR (EXISTS (SELECT 1 FROM tenancies t
        WHERE t.firm_id = firm_reports.firm_id
        AND t.park_id = (SELECT parkd_scope()) AND (t.status = 'active' OR
        (t.entry_date <= quarter_last(year, quarter) AND (t.exit_date IS NULL
        OR t.exit_date >= quarter_first(year, quarter)))))
    AND NOT EXISTS (SELECT 1 FROM tenancies t
        WHERE t.firm_id = firm_reports.firm_id
        AND t.park_id <> (SELECT parkd_scope())
        AND t.entry_date <= quarter_last(year, quarter)
        AND (t.exit_date IS NULL OR t.exit_date >= quarter_first(year, quarter)))));
CREATE POLICY scope_delete ON firm_reports FOR DELETE
    USING ((SELECT parkd_scope()) = 0);

-- Certifications, financing and events: written for active tenants, read
-- for the days the firm spent in the park.
ALTER TABLE certifications ENABLE ROW LEVEL SECURITY;
CREATE POLICY scope_read ON certifications FOR SELECT
    USING ((SELECT parkd_scope()) = 0 OR scope_firm_read(parkd_scope(), firm_id, valid_from,
        valid_to));
CREATE POLICY scope_insert ON certifications FOR INSERT
    WITH CHECK ((SELECT parkd_scope()) = 0 OR scope_firm_write(parkd_scope(), firm_id));
CREATE POLICY scope_update ON certifications FOR UPDATE
    USING ((SELECT parkd_scope()) = 0 OR scope_firm_write(parkd_scope(), firm_id))
    WITH CHECK ((SELECT parkd_scope()) = 0 OR scope_firm_write(parkd_scope(), firm_id));
CREATE POLICY scope_delete ON certifications FOR DELETE
    USING ((SELECT parkd_scope()) = 0);

ALTER TABLE firm_financings ENABLE ROW LEVEL SECURITY;
CREATE POLICY scope_read ON firm_financings FOR SELECT
    USING ((SELECT parkd_scope()) = 0 OR scope_firm_read(parkd_scope(), firm_id, date, date));
CREATE POLICY scope_insert ON firm_financings FOR INSERT
    WITH CHECK ((SELECT parkd_scope()) = 0 OR scope_firm_write(parkd_scope(), firm_id));
CREATE POLICY scope_change ON firm_financings FOR UPDATE
    USING ((SELECT parkd_scope()) = 0);
CREATE POLICY scope_delete ON firm_financings FOR DELETE
    USING ((SELECT parkd_scope()) = 0);

ALTER TABLE firm_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY scope_read ON firm_events FOR SELECT
    USING ((SELECT parkd_scope()) = 0 OR scope_firm_read(parkd_scope(), firm_id, date, date));
CREATE POLICY scope_insert ON firm_events FOR INSERT
    WITH CHECK ((SELECT parkd_scope()) = 0 OR scope_firm_write(parkd_scope(), firm_id));
CREATE POLICY scope_change ON firm_events FOR UPDATE
    USING ((SELECT parkd_scope()) = 0);
CREATE POLICY scope_delete ON firm_events FOR DELETE
    USING ((SELECT parkd_scope()) = 0);

-- A park's own rows.
ALTER TABLE park_reports ENABLE ROW LEVEL SECURITY;
CREATE POLICY scope_all ON park_reports FOR ALL
    USING ((SELECT parkd_scope()) IN (0, park_id));
ALTER TABLE activities ENABLE ROW LEVEL SECURITY;
CREATE POLICY scope_all ON activities FOR ALL
    USING ((SELECT parkd_scope()) IN (0, park_id));

-- Tenancies and parks: readable (see above), written in the park only.
ALTER TABLE tenancies ENABLE ROW LEVEL SECURITY;
CREATE POLICY scope_read ON tenancies FOR SELECT
    USING ((SELECT parkd_scope()) >= 0);
CREATE POLICY scope_insert ON tenancies FOR INSERT
    WITH CHECK ((SELECT parkd_scope()) IN (0, park_id));
CREATE POLICY scope_update ON tenancies FOR UPDATE
    USING ((SELECT parkd_scope()) IN (0, park_id));
CREATE POLICY scope_delete ON tenancies FOR DELETE
    USING ((SELECT parkd_scope()) = 0);

ALTER TABLE parks ENABLE ROW LEVEL SECURITY;
CREATE POLICY scope_read ON parks FOR SELECT
    USING ((SELECT parkd_scope()) >= 0);
CREATE POLICY scope_insert ON parks FOR INSERT
    WITH CHECK ((SELECT parkd_scope()) = 0);
CREATE POLICY scope_update ON parks FOR UPDATE
    USING ((SELECT parkd_scope()) IN (0, id));
CREATE POLICY scope_delete ON parks FOR DELETE
    USING ((SELECT parkd_scope()) = 0);

-- Firms: identities readable. No operator changes (or locks) a firm that
-- is an active tenant of another park; parkd's scope_firm_identity_write
-- is stricter (a firm free of any park may be locked by an entry).
ALTER TABLE firms ENABLE ROW LEVEL SECURITY;
CREATE POLICY scope_read ON firms FOR SELECT
    USING ((SELECT parkd_scope()) >= 0);
CREATE POLICY scope_insert ON firms FOR INSERT
    WITH CHECK ((SELECT parkd_scope()) >= 0);
CREATE POLICY scope_update ON firms FOR UPDATE
    USING ((SELECT parkd_scope()) = 0 OR ((SELECT parkd_scope()) > 0 AND
        NOT EXISTS (SELECT 1 FROM tenancies t WHERE t.firm_id = firms.id AND
        t.status = 'active' AND t.park_id <> (SELECT parkd_scope()))));
CREATE POLICY scope_delete ON firms FOR DELETE
    USING ((SELECT parkd_scope()) = 0);

-- Evaluation: drafts are the bureau's; the rest is written by it only.
ALTER TABLE evaluation_runs ENABLE ROW LEVEL SECURITY;
CREATE POLICY scope_read ON evaluation_runs FOR SELECT
    USING ((SELECT parkd_scope()) = 0 OR ((SELECT parkd_scope()) > 0
        AND status = 'published'));
CREATE POLICY scope_write ON evaluation_runs FOR ALL
    USING ((SELECT parkd_scope()) = 0);
ALTER TABLE evaluation_results ENABLE ROW LEVEL SECURITY;
CREATE POLICY scope_read ON evaluation_results FOR SELECT
    USING ((SELECT parkd_scope()) = 0 OR ((SELECT parkd_scope()) > 0
        AND EXISTS (SELECT 1 FROM evaluation_runs r WHERE
            r.id = evaluation_results.run_id
            AND r.status = 'published')));
CREATE POLICY scope_write ON evaluation_results FOR ALL
    USING ((SELECT parkd_scope()) = 0);
ALTER TABLE awards ENABLE ROW LEVEL SECURITY;
CREATE POLICY scope_read ON awards FOR SELECT
    USING ((SELECT parkd_scope()) >= 0);
CREATE POLICY scope_write ON awards FOR ALL
    USING ((SELECT parkd_scope()) = 0);
ALTER TABLE evaluation_budgets ENABLE ROW LEVEL SECURITY;
CREATE POLICY scope_read ON evaluation_budgets FOR SELECT
    USING ((SELECT parkd_scope()) >= 0);
CREATE POLICY scope_write ON evaluation_budgets FOR ALL
    USING ((SELECT parkd_scope()) = 0);

