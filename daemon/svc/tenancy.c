/*
 * TenancyService: firms entering and leaving parks. Entry is checked against
 * every entry rule of the policy active in the entry year, under a lock on
 * the park and the firm so two entries cannot both take the last free area.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/svc.h"

struct tstate {
	int64_t			 park_id;
	int64_t			 firm_id;
	int64_t			 tenancy_id;
	struct ymd		 date;
	char			 date_s[11];
	Parkd__V1__Tenancy	*out;
};

static void
tenancy_from_row(struct req *r, PGresult *res, int i, Parkd__V1__Tenancy *t,
    int copy)
{
	const char *(*g)(PGresult *, int, const char *) = pg_get;

#define S(col) (copy ? req_strdup(r, g(res, i, col)) : (char *)g(res, i, col))
	parkd__v1__tenancy__init(t);
	t->id = pg_i64(res, i, "id");
	t->park_code = S("park_code");
	t->credit_code = S("credit_code");
	t->firm_name = S("firm_name");
	t->entry_date = S("entry_date");
	t->area = pg_i64(res, i, "area");
	t->status = S("status");
	t->exit_date = S("exit_date");
	t->exit_reason = S("exit_reason");
	t->exit_rule = S("exit_rule");
	t->waiver_source = S("waiver_source");
	t->version = pg_i64(res, i, "version");
#undef S
}

static struct tstate *
tstate_new(struct req *r)
{
	if ((r->state = req_alloc(r, sizeof(struct tstate))) == NULL)
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "out of memory");
	return (r->state);
}

static void
exit_committed(struct req *r, PGresult *res)
{
	struct tstate	*s = r->state;

	if (pg_ok(r, res, PGRES_COMMAND_OK, r->m->name))
		req_reply(r, &s->out->base);
}

/* The write returned the tenancy: keep it, then commit. */
static void
exit_written(struct req *r, PGresult *res)
{
	struct tstate	*s = r->state;

	if (!pg_ok(r, res, PGRES_TUPLES_OK, r->m->name))
		return;
	if ((s->out = req_alloc(r, sizeof(*s->out))) == NULL) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	tenancy_from_row(r, res, 0, s->out, 1);
	db_query(r, "COMMIT", 0, NULL, exit_committed);
}

/*
 * EnterFirm: in one transaction, lock the park and the firm, read what
 * the entry rules need, check every rule of the entry year's policy, and
 * insert the tenancy.
 */
static int
enter_params(struct req *r, struct qparams *q)
{
	Parkd__V1__EnterFirmRequest	*in = (void *)r->in;
	struct tstate			*s;

	if ((s = tstate_new(r)) == NULL)
		return (-1);
	check_text(r, "park_code", in->park_code, 1, 32);
	check_text(r, "credit_code", in->credit_code, 18, 18);
	check_text(r, "waiver_source", in->waiver_source, 0, 32);
	viols_range(&r->v, "area", in->area, 1, LIMIT_AREA);
	if (r->v.n > 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT,
		    "entry is not valid");
		return (-1);
	}
	if (date_or_today(r, "entry_date", in->entry_date, &s->date,
	    s->date_s) != 0)
		return (-1);
	qp_str(q, in->park_code);
	qp_str(q, in->credit_code);
	return (0);
}

/* Park and firm locked: both must exist and be the caller's to lock. */
static int
enter_locked(struct req *r, PGresult *res)
{
	Parkd__V1__EnterFirmRequest	*in = (void *)r->in;
	struct tstate			*s = r->state;

	if (PQgetisnull(res, 0, 0) && !PQgetisnull(res, 0, 2))
		/* row-level security: not a park this operator may lock */
		return (step_fail(r, PARKD__V1__CODE__PERMISSION_DENIED,
		    "an operator may only admit firms into its own park"));
	if (PQgetisnull(res, 0, 0))
		return (step_fail(r, PARKD__V1__CODE__NOT_FOUND, fmt_arena(r,
		    "no park '%s'", in->park_code)));
	if (PQgetisnull(res, 0, 1) && !PQgetisnull(res, 0, 3)) {
		/* row-level security: an operator cannot lock another's */
		viols_add(&r->v, "credit_code", "firm.active_elsewhere",
		    "%s is an active tenant of another park", in->credit_code);
		return (step_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION,
		    fmt_arena(r, "the firm cannot enter %s", in->park_code)));
	}
	if (PQgetisnull(res, 0, 1))
		return (step_fail(r, PARKD__V1__CODE__NOT_FOUND, fmt_arena(r,
		    "no firm with credit code %s; create it first (CreateFirm)",
		    in->credit_code)));
	s->park_id = pg_i64(res, 0, "park_id");
	s->firm_id = pg_i64(res, 0, "firm_id");
	if (!auth_park_allowed(r, s->park_id))
		return (step_fail(r, PARKD__V1__CODE__PERMISSION_DENIED,
		    "an operator may only admit firms into its own park"));
	return (STEP_NEXT);
}

static int
enter_facts_params(struct req *r, struct qparams *q)
{
	struct tstate	*s = r->state;

	qp_i64(q, s->park_id);
	qp_i64(q, s->firm_id);
	qp_i64(q, s->date.y);
	return (0);
}

/* The state under lock: run every entry rule. */
static int
enter_rules(struct req *r, PGresult *res)
{
	Parkd__V1__EnterFirmRequest	*in = (void *)r->in;
	struct tstate			*s = r->state;
	const struct policy		*pol;
	struct park_facts		 k;
	struct entry_facts		 e;

	if ((pol = policy_from_row(r, res, 0, s->date.y)) == NULL)
		return (STEP_DONE);
	entry_facts_from_row(r, res, 0, &k, &e);
	k.occupied_area = pg_i64(res, 0, "occupied");
	entry_facts_request(&e, in->credit_code, in->area, in->waiver_source);
	e.entry = s->date;
	rules_firm_entry(pol, &k, &e, &r->v);
	if (r->v.n > 0)
		return (step_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION,
		    fmt_arena(r, "entry of %s into %s refused by policy %s: "
		    "%zu rule(s) broken", in->credit_code, k.code, pol->name,
		    r->v.n)));
	return (STEP_NEXT);
}

static int
enter_insert_params(struct req *r, struct qparams *q)
{
	Parkd__V1__EnterFirmRequest	*in = (void *)r->in;
	struct tstate			*s = r->state;

	qp_audit(q, r);
	qp_i64(q, s->firm_id);
	qp_i64(q, s->park_id);
	qp_str(q, s->date_s);
	qp_i64(q, in->area);
	qp_str(q, in->waiver_source);
	return (0);
}

/* The new tenancy is the reply (its strings copied: COMMIT comes next). */
static int
enter_inserted(struct req *r, PGresult *res)
{
	Parkd__V1__Tenancy	*t;

	if ((t = req_alloc(r, sizeof(*t))) == NULL)
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	tenancy_from_row(r, res, 0, t, 1);
	return (step_reply(r, &t->base));
}

static const struct plan enter_firm = { "EnterFirm", 1,
    (const struct step[]) {
	{ SQL_TENANCY_LOCK, enter_params, enter_locked },
	{ SQL_TENANCY_ENTRY_FACTS, enter_facts_params, enter_rules },
	{ SQL_TENANCY_INSERT, enter_insert_params, enter_inserted },
	{ 0, NULL, NULL },
} };

/* ---- exit ---- */

static const char *
exit_status(const char *kind)
{
	if (strcmp(kind, "graduate") == 0)
		return ("graduated");
	if (strcmp(kind, "clear") == 0)
		return ("cleared");
	return ("left");
}

static void
exit_write(struct req *r)
{
	Parkd__V1__ExitFirmRequest	*in = (void *)r->in;
	struct tstate			*s = r->state;
	struct qparams			 q;

	qp_init(&q);
	qp_audit(&q, r);
	qp_i64(&q, s->tenancy_id);
	qp_str(&q, exit_status(in->kind));
	qp_str(&q, s->date_s);
	qp_str(&q, in->reason);
	qp_str(&q, in->rule);
	db_exec(r, SQL_TENANCY_EXIT, q.n, q.v, exit_written);
}

/* Does the stated rule hold on the exit date? */
static void
exit_facts_done(struct req *r, PGresult *res)
{
	Parkd__V1__ExitFirmRequest	*in = (void *)r->in;
	struct tstate			*s = r->state;
	const struct policy		*pol;
	struct tenancy_facts		 t;
	struct proposals		 ps = { 0 };
	size_t				 i;
	int				 holds = 0;
	char				 held[512] = "";

	if (!pg_ok(r, res, PGRES_TUPLES_OK, "ExitFirm"))
		return;
	if (PQntuples(res) != 1 || (pol = policy_from_row(r, res, 0,
	    s->date.y)) == NULL) {
		if (PQntuples(res) != 1)
			req_fail(r, PARKD__V1__CODE__INTERNAL, "no facts");
		return;
	}
	tenancy_facts_from_row(r, res, 0, &t);
	rules_tenancy_sweep(pol, &t, &s->date, &ps);
	for (i = 0; i < ps.n; i++) {
		if (strcmp(ps.v[i].kind, in->kind) != 0)
			continue;
		if (strcmp(ps.v[i].rule, in->rule) == 0)
			holds = 1;
		snprintf(held + strlen(held), sizeof(held) - strlen(held),
		    "%s%s", held[0] ? ", " : "", ps.v[i].rule);
	}
	proposals_free(&ps);
	if (!holds) {
		viols_add(&r->v, "rule", in->rule, "'%s' does not hold for %s "
		    "on %s under policy %s (rules that do: %s)", in->rule,
		    t.credit_code, s->date_s, pol->name, held[0] ? held :
		    "none");
		req_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION,
		    "%s refused: the stated rule does not hold", in->kind);
		return;
	}
	exit_write(r);
}

static void
exit_locked(struct req *r, PGresult *res)
{
	Parkd__V1__ExitFirmRequest	*in = (void *)r->in;
	struct tstate			*s = r->state;
	struct qparams			 q;
	struct ymd			 entry;

	if (!pg_ok(r, res, PGRES_TUPLES_OK, "ExitFirm"))
		return;
	if (PQntuples(res) == 0) {
		req_fail(r, PARKD__V1__CODE__NOT_FOUND, "no active tenancy "
		    "for that firm");
		return;
	}
	s->tenancy_id = pg_i64(res, 0, "id");
	if (!auth_park_allowed(r, pg_i64(res, 0, "park_id"))) {
		req_fail(r, PARKD__V1__CODE__PERMISSION_DENIED,
		    "an operator may only decide on its own park's tenants");
		return;
	}
	if (strcmp(pg_get(res, 0, "status"), "active") != 0) {
		req_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION, "tenancy %lld "
		    "already ended (%s)", (long long)s->tenancy_id,
		    pg_get(res, 0, "status"));
		return;
	}
	ymd_parse(pg_get(res, 0, "entry_date"), &entry);
	if (ymd_days(&s->date) < ymd_days(&entry)) {
		viols_add(&r->v, "exit_date", "date", "is before the entry "
		    "date %s", pg_get(res, 0, "entry_date"));
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "bad exit date");
		return;
	}
	if (strcmp(in->kind, "leave") == 0) {
		exit_write(r);
		return;
	}
	qp_init(&q);
	qp_str(&q, s->date_s);
	qp_i64(&q, ymd_quarter_index(&s->date));
	qp_i64(&q, s->tenancy_id);
	qp_i64(&q, s->date.y);
	db_exec(r, SQL_TENANCY_EXIT_FACTS, q.n, q.v, exit_facts_done);
}

static void
exit_begun(struct req *r, PGresult *res)
{
	Parkd__V1__ExitFirmRequest	*in = (void *)r->in;
	struct qparams			 q;

	if (!pg_ok(r, res, PGRES_COMMAND_OK, "ExitFirm"))
		return;
	qp_init(&q);
	qp_i64(&q, in->tenancy_id);
	qp_str(&q, in->credit_code);
	db_exec(r, SQL_TENANCY_EXIT_LOCK, q.n, q.v, exit_locked);
}

static void
svc_tenancy_exit(struct req *r)
{
	Parkd__V1__ExitFirmRequest	*in = (void *)r->in;
	struct tstate			*s;
	int				 leave = strcmp(in->kind, "leave") == 0;

	if ((s = tstate_new(r)) == NULL)
		return;
	if (!leave && strcmp(in->kind, "graduate") != 0 &&
	    strcmp(in->kind, "clear") != 0)
		viols_add(&r->v, "kind", "exit.kind", "must be graduate, clear "
		    "or leave");
	if (!leave && *in->rule == '\0')
		viols_add(&r->v, "rule", "exit.rule", "name the rule that "
		    "justifies the %s (see RunSweep)", in->kind);
	if (in->tenancy_id == 0 && *in->credit_code == '\0')
		viols_add(&r->v, "credit_code", "exit.subject",
		    "give tenancy_id or credit_code");
	check_text(r, "reason", in->reason, 0, 500);
	check_text(r, "rule", in->rule, 0, 48);
	if (r->v.n > 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT,
		    "exit is not valid");
		return;
	}
	if (date_or_today(r, "exit_date", in->exit_date, &s->date,
	    s->date_s) != 0)
		return;
	db_query(r, "BEGIN", 0, NULL, exit_begun);
}

/* ---- list ---- */

/* A tenancy's statuses (schema/0002_rules.sql's CHECK). */
static const char *const tenancy_statuses[] = { "active", "graduated",
    "cleared", "left", NULL };

/* ListTenancies' statements, each with its limit in the text (rpc/page.c) */
static const struct page_stmt park_pages[] = PAGES_OF(SQL_TENANCY_PARK_PAGE),
    all_pages[] = PAGES_OF(SQL_TENANCY_LIST_PAGE),
    by_park[] = PAGES_OF(SQL_TENANCY_LIST_BY_PARK),
    by_firm[] = PAGES_OF(SQL_TENANCY_LIST_BY_FIRM),
    scoped[] = PAGES_OF(SQL_TENANCY_LIST_SCOPED),
    by_status[] = PAGES_OF(SQL_TENANCY_LIST_BY_STATUS);

/* ListTenancies' statements (one per page size) for in's filters. */
static const struct page_stmt *
tenancy_list_pages(struct req *r, const Parkd__V1__ListTenanciesRequest *in)
{
	int	 other = *in->status != '\0' || *in->credit_code != '\0';

	if (*in->park_code != '\0')
		return (other ? by_park : park_pages);
	if (*in->credit_code != '\0')
		return (by_firm);
	if (auth_scope(r) != 0)
		return (scoped);
	return (*in->status != '\0' ? by_status : all_pages);
}

/* ListTenancies: a page, filtered; an operator sees its park's only. */
static int
tenancy_list_params(struct req *r, struct qparams *q)
{
	Parkd__V1__ListTenanciesRequest	*in = (void *)r->in;
	int64_t				 after;

	if (page_after(r, in->page_token, &after) != 0)
		return (-1);
	if (*in->status != '\0' &&
	    !str_in_list(in->status, tenancy_statuses)) {
		viols_add(&r->v, "status", "tenancy.status",
		    "'%.16s' is not a tenancy status: active, graduated, "
		    "cleared or left", in->status);
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT,
		    "filter is not valid");
		return (-1);
	}
	qp_str(q, in->park_code);
	qp_str(q, in->status);
	qp_str(q, in->credit_code);
	qp_i64(q, after);
	qp_i64(q, auth_scope(r));
	qp_page(q, tenancy_list_pages(r, in), page_size_clamp(in->page_size), 1);
	return (0);
}

static int
tenancy_list_page(struct req *r, PGresult *res)
{
	Parkd__V1__ListTenanciesRequest	*in = (void *)r->in;

	return (step_reply_list(r, res, page_size_clamp(in->page_size),
	    &parkd__v1__list_tenancies_response__descriptor, "id"));
}

static const struct plan tenancy_list = { "ListTenancies", 0,
    (const struct step[]) {
	{ SQL_TENANCY_LIST_PAGE_100, tenancy_list_params, tenancy_list_page },
	{ 0, NULL, NULL },
} };

/* The methods this file serves (rpc/dispatch.c builds the table). */
const struct method_def svc_tenancy_methods[] = {
	{ .name = "EnterFirm", .plan = &enter_firm,
	    .roles = ROLE_BUREAU | ROLE_OPERATOR },
	{ .name = "ExitFirm", .handler = svc_tenancy_exit,
	    .roles = ROLE_BUREAU | ROLE_OPERATOR },
	{ .name = "ListTenancies", .ro = 1, .plan = &tenancy_list,
	    .roles = ROLES_ALL },
	{ .name = NULL }
};
