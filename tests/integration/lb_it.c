/*
 * Two parkd behind HAProxy (TCP mode, round robin; tests/run-integration.sh
 * starts it): a client whose connections land on both. The last free area
 * of a park raced from both: exactly one entry wins. CreateEvaluationRun
 * sent to both at once with one idempotency key: one run, the same answer
 * on both. Run as "integration lb" with PARKD_LB set to HAProxy's address.
 */

#include "it.h"

#define NCONN	4

/* A bureau connection through the balancer; *on: 1 or 2, the parkd. */
static struct parkc *
lb_connect(const char *lb, int *on)
{
	long		 a = metric1("parkd_connections_opened_total");
	long		 b = metric2("parkd_connections_opened_total");
	struct parkc	*pc;
	char		 err[256];

	if ((pc = connect_cert(lb, getenv("PARKD_TLS"), "bureau", err,
	    sizeof(err))) == NULL) {
		printf("lb: connect: %s\n", err);
		return (NULL);
	}
	if (who_code(pc) != 0) {
		parkc_close(pc);
		return (NULL);
	}
	*on = metric1("parkd_connections_opened_total") > a ? 1 :
	    metric2("parkd_connections_opened_total") > b ? 2 : 0;
	return (pc);
}

/* Both answers of one request sent on x and y at once; 0 if both came. */
static int
lb_both(struct parkc *x, struct parkc *y, const char *method,
    const ProtobufCMessage *in, const char *idem, Parkd__V1__Response **rx,
    Parkd__V1__Response **ry)
{
	if (parkc_send(x, method, in, idem, NULL) != 0 ||
	    parkc_send(y, method, in, idem, NULL) != 0 ||
	    parkc_recv(x, rx) != 0 || parkc_recv(y, ry) != 0)
		return (-1);
	return (0);
}

static int
lb_eval(struct parkc *x, struct parkc *y)
{
	Parkd__V1__CreateEvaluationRunRequest ce =
	    PARKD__V1__CREATE_EVALUATION_RUN_REQUEST__INIT;
	Parkd__V1__Response	*rx, *ry;
	struct parkc_result	 a, b;
	char			 key[64], q[160];
	int64_t			 ia, ib, runs;
	int			 rc = -1;

	ce.year = 2026;		/* the LB-D parks above were admitted in 2026 */
	ce.provisional = 1;	/* a year not ended */
	snprintf(key, sizeof(key), "lb-eval-%d", (int)getpid());
	if (lb_both(x, y, "CreateEvaluationRun", &ce.base, key, &rx, &ry) != 0)
		return (-1);
	parkc_decode("CreateEvaluationRun", rx, &a);
	parkc_decode("CreateEvaluationRun", ry, &b);
	if (a.code != 0 || b.code != 0) {
		printf("lb: CreateEvaluationRun: %d (%s), %d (%s)\n", a.code,
		    a.message, b.code, b.message);
		goto out;
	}
	ia = ((Parkd__V1__EvaluationRun *)a.body)->id;
	ib = ((Parkd__V1__EvaluationRun *)b.body)->id;
	snprintf(q, sizeof(q), "SELECT count(*) FROM evaluation_runs WHERE "
	    "idempotency_key = '%s'", key);
	runs = sql_int(q);
	printf("lb: CreateEvaluationRun on both at once: runs %lld and %lld, "
	    "%lld stored\n", (long long)ia, (long long)ib, (long long)runs);
	if (ia == ib && runs == 1)
		rc = 0;
out:
	parkc_result_free(&a);
	parkc_result_free(&b);
	return (rc);
}

int
run_lb(void)
{
	const char	*lb = getenv("PARKD_LB");
	struct parkc	*c[NCONN], *x = NULL, *y = NULL;
	int		 on[NCONN], i, n1 = 0, n2 = 0, rc = 0;

	if (lb == NULL)
		return (2);
	for (i = 0; i < NCONN; i++) {
		if ((c[i] = lb_connect(lb, &on[i])) == NULL)
			return (1);
		n1 += on[i] == 1;
		n2 += on[i] == 2;
		if (on[i] == 1 && x == NULL)
			x = c[i];
		if (on[i] == 2 && y == NULL)
			y = c[i];
	}
	printf("lb: %d connections through HAProxy: %d on parkd #1, %d on "
	    "parkd #2\n", NCONN, n1, n2);
	if (x == NULL || y == NULL)
		return (1);
	if (race_last_free_area(c[0], x, y, "LB-D", 700, 5) != 0) {
		printf("lb: the last free area race failed\n");
		rc = 1;
	} else
		printf("lb: last free area raced from both: one entry won, "
		    "5 rounds\n");
	if (lb_eval(x, y) != 0)
		rc = 1;
	for (i = 0; i < NCONN; i++)
		parkc_close(c[i]);
	return (rc);
}
