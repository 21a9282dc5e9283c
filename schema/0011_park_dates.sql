-- 0011: a park's dates in their order (issue 12): applied_on <= admitted_on
-- <= warned_on <= exited_on, each where set. Checked when a row is written
-- with any of them changed, so a row stored before this migration is not
-- refused for an unrelated change; the message names both dates.
CREATE FUNCTION park_dates_ordered() RETURNS trigger AS $$
DECLARE
    names text[] := ARRAY['applied_on', 'admitted_on', 'warned_on',
        'exited_on'];
    d date[] := ARRAY[NEW.applied_on, NEW.admitted_on, NEW.warned_on,
        NEW.exited_on];
    i int;
    j int;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.applied_on IS NOT DISTINCT FROM OLD.applied_on
        AND NEW.admitted_on IS NOT DISTINCT FROM OLD.admitted_on
        AND NEW.warned_on IS NOT DISTINCT FROM OLD.warned_on
        AND NEW.exited_on IS NOT DISTINCT FROM OLD.exited_on THEN
        RETURN NEW;
    END IF;
    FOR i IN 1..3 LOOP
        FOR j IN i + 1..4 LOOP
            IF d[i] IS NOT NULL AND d[j] IS NOT NULL AND d[i] > d[j] THEN
                RAISE EXCEPTION 'park %: % % is after % %', NEW.code,
                    names[i], d[i], names[j], d[j]
                    USING ERRCODE = 'check_violation',
                    HINT = 'applied_on <= admitted_on <= warned_on <= exited_on';
            END IF;
        END LOOP;
    END LOOP;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER parks_dates_ordered BEFORE INSERT OR UPDATE ON parks
    FOR EACH ROW EXECUTE FUNCTION park_dates_ordered();
