/*
 * EvaluationService: create.c scores a year and stores the run
 * (CreateEvaluationRun), results.c puts its results into the insert's
 * parameters, defs.c keeps the runs' indicator definitions once read and
 * builds a result's indicators from them; runs.c is everything else (the
 * run message, publish, finalize, delete, get, list, results, budget,
 * awards); objections.c the objections filed during a run's public notice.
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

/* Where a park's figures come from: a row of the raw query, or JSON. */
struct figsrc {
	PGresult	*res;
	int		 row;
	json_t		*decl;		/* NULL: live figures */
};

/* results.c */
#define RESULT_NCOLS	19
struct rescols {
	struct pgarray	 t[RESULT_NCOLS];	/* the text ones */
	struct pgbin	 b[RESULT_NCOLS];	/* the binary ones */
};
char	*eval_json_dump(json_t *);
char	*run_indicator_defs(const struct eval_policy *);
int	 rescols_build(struct rescols *, const struct eval_policy *,
	    const struct figsrc *, const struct eval_park *,
	    const struct eval_result *, size_t);
int	 rescols_params(struct rescols *, const char **, int *, int *);
void	 rescols_free(struct rescols *);

/* defs.c: a run's indicator definitions, read once */
struct run_def {
	const char	*key;
	const char	*name;
	const char	*dimension;
	const char	*unit;
	int32_t		 weight;
};
struct run_defs {
	int64_t		 run;
	size_t		 n;
	struct run_def	 ind[];
};
const struct run_defs *run_defs_kept(int64_t);
const struct run_defs *run_defs_read(struct req *, int64_t, const char *);
int	 result_indicators(struct req *, PGresult *,
	    Parkd__V1__EvaluationResult *);

/* objections.c */
extern const struct plan objection_file, objection_answer, objection_list,
    objection_evidence;

/* budget.c */
extern const struct plan eval_budget, eval_award;

Parkd__V1__EvaluationRun *run_from_row(struct req *, PGresult *, int);
void	 run_reply(struct req *, PGresult *, const char *);
void	 svc_eval_create(struct req *);

#endif /* PARKD_SVC_EVAL_H */
