/*
 * Health and metrics over plain HTTP (loopback by default): GET /healthz
 * (200 when a database connection is healthy, else 503) and GET /metrics
 * (Prometheus text format: requests by method and status, connections,
 * the database pool), read from core/stats.c.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "core/core.h"
#include "rpc/rpc.h"
#include "http.h"

static struct evhttp	*http;

/* One histogram in the Prometheus text format; labels may be NULL. */
static void
http_hist(struct evbuffer *b, const char *name, const char *labels,
    const struct stats_hist *h)
{
	uint64_t	 cum = 0;
	int		 i;
	const char	*sep = labels != NULL ? "," : "";

	if (labels == NULL)
		labels = "";
	for (i = 0; i < STATS_NBUCKETS; i++) {
		cum += h->n[i];
		if (i < STATS_NBUCKETS - 1)
			evbuffer_add_printf(b, "%s_bucket{%s%sle=\"%g\"} %llu\n",
			    name, labels, sep,
			    (double)stats_bucket_us[i] / 1e6,
			    (unsigned long long)cum);
		else
			evbuffer_add_printf(b, "%s_bucket{%s%sle=\"+Inf\"} "
			    "%llu\n", name, labels, sep,
			    (unsigned long long)cum);
	}
	evbuffer_add_printf(b, "%s_sum%s%s%s %.6f\n%s_count%s%s%s %llu\n",
	    name, *labels ? "{" : "", labels, *labels ? "}" : "",
	    (double)h->sum_us / 1e6, name, *labels ? "{" : "", labels,
	    *labels ? "}" : "", (unsigned long long)h->count);
}

static void
healthz_cb(struct evhttp_request *hr, void *arg)
{
	struct evbuffer	*b = evbuffer_new();
	struct db_stats	 st;
	const char	*why = "database unavailable";

	(void)arg;
	dbpool_stats(&st);
	if (b == NULL)
		return;
	/* a pool connection, and a probe answered in the last 3 s */
	if (st.healthy > 0 && dbpool_probe_ok(&why)) {
		evbuffer_add_printf(b, "ok\n");
		evhttp_send_reply(hr, 200, "OK", b);
	} else {
		evbuffer_add_printf(b, "%s\n", why);
		evhttp_send_reply(hr, 503, "Service Unavailable", b);
	}
	evbuffer_free(b);
}

/* Requests by method: counts by status code, latency, total time. */
static void
metrics_requests(struct evbuffer *b)
{
	const ProtobufCEnumValue	*v;
	char				 lbl[160];
	size_t				 i, c;

	evbuffer_add_printf(b, "# TYPE parkd_requests_total counter\n");
	for (i = 0; i < stats.nslots; i++) {
		for (c = 0; c < STATS_NCODES; c++) {
			uint64_t n = stats.req_count[i * STATS_NCODES + c];

			if (n == 0)
				continue;
			v = protobuf_c_enum_descriptor_get_value(
			    &parkd__v1__code__descriptor, (int)c);
			evbuffer_add_printf(b, "parkd_requests_total{method=\"%s\","
			    "code=\"%s\"} %llu\n", dispatch_name((int)i),
			    v != NULL ? v->name : "?", (unsigned long long)n);
		}
	}
	evbuffer_add_printf(b, "# TYPE parkd_request_seconds histogram\n");
	for (i = 0; i < stats.nslots; i++) {
		if (stats.req_hist[i].count == 0)
			continue;
		snprintf(lbl, sizeof(lbl), "method=\"%s\"",
		    dispatch_name((int)i));
		http_hist(b, "parkd_request_seconds", lbl, &stats.req_hist[i]);
	}
	evbuffer_add_printf(b, "# TYPE parkd_request_ms_total counter\n");
	for (i = 0; i < stats.nslots; i++) {
		if (stats.req_ms[i] > 0)
			evbuffer_add_printf(b, "parkd_request_ms_total{method=\""
			    "%s\"} %llu\n", dispatch_name((int)i),
			    (unsigned long long)stats.req_ms[i]);
	}
}

/* Pushes, evaluation runs, slow requests. */
static void
metrics_work(struct evbuffer *b)
{
	evbuffer_add_printf(b, "# TYPE parkd_evaluation_run_seconds histogram\n");
	http_hist(b, "parkd_evaluation_run_seconds", NULL, &stats.eval_run);
	evbuffer_add_printf(b,
	    "# TYPE parkd_sync_commits_total counter\n"
	    "parkd_sync_commits_total %llu\n"
	    "# TYPE parkd_sync_rows_total counter\n"
	    "parkd_sync_rows_total{outcome=\"applied\"} %llu\n"
	    "parkd_sync_rows_total{outcome=\"updated\"} %llu\n"
	    "parkd_sync_rows_total{outcome=\"refused\"} %llu\n"
	    "# TYPE parkd_slow_requests_total counter\n"
	    "parkd_slow_requests_total %llu\n",
	    (unsigned long long)stats.sync_commits,
	    (unsigned long long)stats.sync_rows[0],
	    (unsigned long long)stats.sync_rows[1],
	    (unsigned long long)stats.sync_rows[2],
	    (unsigned long long)stats.slow_requests);
}

/* Client connections and the database pool. */
static void
metrics_conns(struct evbuffer *b)
{
	struct db_stats	 st;

	dbpool_stats(&st);
	evbuffer_add_printf(b, "# TYPE parkd_db_wait_seconds histogram\n");
	http_hist(b, "parkd_db_wait_seconds", NULL, &stats.db_wait);
	evbuffer_add_printf(b,
	    "# TYPE parkd_connections gauge\nparkd_connections %d\n"
	    "# TYPE parkd_connections_opened_total counter\n"
	    "parkd_connections_opened_total %llu\n"
	    "# TYPE parkd_connections_closed_total counter\n"
	    "parkd_connections_closed_total %llu\n"
	    "# TYPE parkd_requests_in_flight gauge\nparkd_requests_in_flight %d\n"
	    "# TYPE parkd_db_connections gauge\n"
	    "parkd_db_connections{state=\"healthy\"} %d\n"
	    "parkd_db_connections{state=\"busy\"} %d\n"
	    "parkd_db_connections{state=\"pinned\"} %d\n"
	    "parkd_db_connections{state=\"down\"} %d\n"
	    "# TYPE parkd_db_waiting gauge\nparkd_db_waiting %d\n",
	    nconns, (unsigned long long)stats.conns_opened,
	    (unsigned long long)stats.conns_closed, stats.inflight, st.healthy,
	    st.busy, st.pinned, st.total - st.healthy, st.waiting);
	evbuffer_add_printf(b,
	    "# TYPE parkd_db_pipeline_connections gauge\n"
	    "parkd_db_pipeline_connections %d\n"
	    "# TYPE parkd_db_pipeline_depth gauge\n"
	    "parkd_db_pipeline_depth %d\n"
	    "# TYPE parkd_db_pipeline_statements_total counter\n"
	    "parkd_db_pipeline_statements_total %llu\n"
	    "# TYPE parkd_db_pipeline_batches_total counter\n"
	    "parkd_db_pipeline_batches_total %llu\n"
	    "# TYPE parkd_db_pipeline_retries_total counter\n"
	    "parkd_db_pipeline_retries_total %llu\n"
	    "# TYPE parkd_db_replica_statements_total counter\n"
	    "parkd_db_replica_statements_total %llu\n"
	    "# TYPE parkd_db_replicas_usable gauge\n"
	    "parkd_db_replicas_usable %d\n",
	    st.pipe_up, st.pipe_depth, (unsigned long long)st.pipe_statements,
	    (unsigned long long)st.pipe_batches,
	    (unsigned long long)st.pipe_retries,
	    (unsigned long long)st.replica_statements, st.replicas_usable);
}

static void
metrics_cb(struct evhttp_request *hr, void *arg)
{
	struct evbuffer	*b = evbuffer_new();

	(void)arg;
	if (b == NULL)
		return;
	metrics_requests(b);
	metrics_work(b);
	metrics_conns(b);
	evhttp_add_header(evhttp_request_get_output_headers(hr),
	    "Content-Type", "text/plain; version=0.0.4");
	evhttp_send_reply(hr, 200, "OK", b);
	evbuffer_free(b);
}

/* Listen on http_listen ("" for none). */
int
http_start(const struct config *cfg, char **cause)
{
	char	 host[256], *colon;

	if (*cfg->http_listen == '\0')
		return (0);
	snprintf(host, sizeof(host), "%s", cfg->http_listen);
	if ((colon = strrchr(host, ':')) == NULL) {
		asprintf(cause, "http_listen '%s' is not address:port",
		    cfg->http_listen);
		return (-1);
	}
	*colon = '\0';
	if ((http = evhttp_new(server->base)) == NULL ||
	    evhttp_bind_socket(http, host, (uint16_t)atoi(colon + 1)) != 0) {
		asprintf(cause, "http_listen %s: cannot listen",
		    cfg->http_listen);
		return (-1);
	}
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET);
	evhttp_set_cb(http, "/healthz", healthz_cb, NULL);
	evhttp_set_cb(http, "/metrics", metrics_cb, NULL);
	log_info("http listening addr=%s (/healthz, /metrics)",
	    cfg->http_listen);
	return (0);
}

void
http_stop(void)
{
	if (http != NULL)
		evhttp_free(http);
	http = NULL;
}
