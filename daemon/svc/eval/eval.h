/*
 * EvaluationService split in two: create.c scores a year and stores the
 * run (CreateEvaluationRun); runs.c is everything else (the run message,
 * publish, finalize, delete, get, list, results, budget, awards);
 * objections.c the objections filed during a run's public notice.
 */
#ifndef PARKD_SVC_EVAL_H
#define PARKD_SVC_EVAL_H

#include <jansson.h>

#include "svc/svc.h"

struct evrun {
	int			 year;
	char			 start[11];
	char			 end[11];
	const struct policy	*pol;
	int64_t			 budget;
	int			 provisional;	/* a year not ended */
	int64_t			 corrects;	/* the run it replaces, or 0 */
	Parkd__V1__EvaluationRun *out;
	int			 replay_checked; /* measured: a run must exist */
	size_t			 ndecls;	/* approved declarations, */
	int64_t			*decl_park;	/* by park id, ascending, */
	const char		**decl;		/* their figures (JSON) */
	int			 decls_read;
	size_t			 nscores;	/* submitted expert scores, */
	int64_t			*score_park;	/* by park id, ascending, */
	const char		**score_ind;	/* the indicator, */
	int			*score_cp;	/* the score */
	int			 scores_read;
};

/* objections.c */
extern const struct plan objection_file, objection_answer, objection_list,
    objection_evidence;

Parkd__V1__EvaluationRun *run_from_row(struct req *, PGresult *, int);
void	 run_reply(struct req *, PGresult *, const char *);
void	 svc_eval_create(struct req *);

#endif /* PARKD_SVC_EVAL_H */
