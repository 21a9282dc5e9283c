/*
 * What an engineer running parkd sees (issue 10): latency histograms per
 * method, pool waits and the slow-request log line, key=value with the
 * request id and the principal. Part of the integration suite (it.h).
 */

#include "it.h"

#define GP_COUNT	"parkd_request_seconds_count{method=\"GetPark\"}"
#define GP_INF		"parkd_request_seconds_bucket{method=\"GetPark\"," \
			"le=\"+Inf\"}"
#define GP_1S		"parkd_request_seconds_bucket{method=\"GetPark\"," \
			"le=\"1\"}"

/* Each GetPark lands in the histogram: the +Inf bucket equals the count. */
void
test_metrics_histograms(void **state)
{
	Parkd__V1__GetParkRequest	 gp = PARKD__V1__GET_PARK_REQUEST__INIT;
	struct parkc			*bu = as("bureau", addr1);
	long				 before = metric1(GP_COUNT), after;
	int				 i;

	(void)state;
	scope_fixture();
	gp.code = "SC-A";
	for (i = 0; i < 20; i++)
		expect(bu, "GetPark", &gp.base, 0);
	after = metric1(GP_COUNT);
	assert_true(after - (before < 0 ? 0 : before) >= 20);
	assert_int_equal(metric1(GP_INF), after);
	/* on an idle machine none of them took a second */
	assert_true(metric1(GP_1S) > 0);
	assert_true(metric1("parkd_db_wait_seconds_count") > 0);
	parkc_close(bu);
}

/*
 * With slow_request_ms at 100 (a reload), a GetPark held 300 ms by a lock
 * in PostgreSQL is logged as slow_request with its method, id and
 * principal, and counted; the config is put back after.
 */
void
test_slow_request_log(void **state)
{
	Parkd__V1__GetParkRequest	 gp = PARKD__V1__GET_PARK_REQUEST__INIT;
	const char			*conf = getenv("PARKD_CONF");
	char				*orig = read_file(conf), *text;
	struct parkc			*bu = as("bureau", addr1);
	PGconn				*pg = PQconnectdb(getenv("PARKD_DSN"));
	PGresult			*x;
	static const char *const	 slow[] = { "method=GetPark "
	    "principal=\"", NULL };
	long				 from, n0;
	uint64_t			 id;

	(void)state;
	scope_fixture();
	text = calloc(1, strlen(orig) + 64);
	assert_non_null(text);
	sprintf(text, "%sslow_request_ms = 100;\n", orig);
	write_text(conf, text);
	hup();
	n0 = metric1("parkd_slow_requests_total");
	gp.code = "SC-A";
	x = PQexec(pg, "BEGIN; LOCK TABLE parks IN ACCESS EXCLUSIVE MODE");
	PQclear(x);
	from = log_end();
	assert_int_equal(parkc_send(bu, "GetPark", &gp.base, "", &id), 0);
	usleep(300 * 1000);
	x = PQexec(pg, "COMMIT");
	PQclear(x);
	PQfinish(pg);
	assert_int_equal(recv_code(bu, &id), 0);
	if (!log_wait(from, slow, 5000))
		fail_msg("no slow_request line for the held GetPark");
	assert_true(metric1("parkd_slow_requests_total") > n0);
	write_text(conf, orig);
	hup();
	free(text);
	free(orig);
	parkc_close(bu);
}
