/*
 * EvaluationService split in two: create.c scores a year and stores the
 * run (CreateEvaluationRun); runs.c is everything else (the run message,
 * publish, delete, get, list, results, budget, awards).
 */
#ifndef PARKD_SVC_EVAL_H
#define PARKD_SVC_EVAL_H

#include <jansson.h>

#include "svc/svc.h"

#define RUN_COLS							\
	"ru.id, ru.year, (SELECT name FROM policies WHERE id = ru.policy_id) " \
	"AS policy, (SELECT hash FROM policies WHERE id = ru.policy_id) AS " \
	"policy_hash, ru.status, coalesce(ru.budget, -1) AS budget, "	\
	"ru.requested, ru.total, ru.remainder, ru.parks, ru.downgraded, " \
	"ru.summary::text AS summary, " TS_COL("ru.created_at") " AS "	\
	"created_at, coalesce(" TS_COL("ru.published_at") ", '') AS "	\
	"published_at"

struct evrun {
	int			 year;
	char			 start[11];
	char			 end[11];
	const struct policy	*pol;
	int64_t			 budget;
	Parkd__V1__EvaluationRun *out;
	int			 replay_checked; /* measured: a run must exist */
};

Parkd__V1__EvaluationRun *run_from_row(struct req *, PGresult *, int);
void	 run_reply(struct req *, PGresult *, const char *);
void	 svc_eval_create(struct req *);

#endif /* PARKD_SVC_EVAL_H */
