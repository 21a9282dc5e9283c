/* parkctl internals shared by its source files. */
#ifndef PARKCTL_H
#define PARKCTL_H

#include "libparkc.h"

struct ctl {
	struct parkc_opts	 opts;
	struct parkc		*pc;
	int			 json;
	const char		*idem;
};

int	 ctl_connect(struct ctl *);
int	 demo_data(struct ctl *, int, char **);
int	 demo_summary(struct ctl *);
int	 csv_sync(struct ctl *, int, char **);
int	 csv_read_dry(const char *, const char *, size_t, int64_t *,
	     int64_t *);
int	 csv_export(struct ctl *, int, char **);
const char *own_park(struct ctl *);
int	 eval_cmd(struct ctl *, int, char **);
int	 decl_cmd(struct ctl *, int, char **);
int	 save_evidence(struct ctl *, const char *, const ProtobufCMessage *,
	     const char *);
uint8_t	*slurp(const char *, size_t *);
int	 expert_cmd(struct ctl *, int, char **);
int	 decide_cmd(struct ctl *, int, char **);
int	 sweep_cmd(struct ctl *, int, char **);
int	 ctl_call(struct ctl *, const char *, const ProtobufCMessage *,
	     struct parkc_result *);
int	 ctl_call_key(struct ctl *, const char *, const ProtobufCMessage *,
	     const char *, struct parkc_result *);

/* evalcmd.c, shared with report.c */
void	 points(int, char *, size_t);
void	 rank_text(Parkd__V1__EvaluationResult **, size_t, size_t, char *,
	     size_t);
Parkd__V1__EvaluationResult **fetch_results(struct ctl *, int64_t, size_t *,
	     struct parkc_result **, size_t *);
void	 free_results(Parkd__V1__EvaluationResult **, struct parkc_result *,
	     size_t);
/* report.c */
int	 report_html(struct ctl *, int64_t, const char *);

#endif
