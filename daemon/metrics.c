/*
 * Health and metrics over plain HTTP (loopback by default): GET /healthz
 * (200 when a database connection is healthy, else 503) and GET /metrics
 * (Prometheus text format: requests by method and status, connections,
 * the database pool).
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "parkd.h"

#define NCODES	17

static struct evhttp	*http;
static uint64_t		*req_count;	/* [method][code] */
static uint64_t		*req_ms;	/* [method] total milliseconds */
static size_t		 nslots;
static uint64_t		 conns_opened, conns_closed;

static int
slot(const struct method *m)
{
	return (m != NULL ? m->idx : (int)nslots - 1);
}

/* One finished request (m NULL: the method was unknown). */
void
metrics_request(const struct method *m, int code, uint64_t ms)
{
	if (req_count == NULL || code < 0 || code >= NCODES)
		return;
	req_count[(size_t)slot(m) * NCODES + (size_t)code]++;
	req_ms[slot(m)] += ms;
}

void
metrics_conn(int opened)
{
	if (opened)
		conns_opened++;
	else
		conns_closed++;
}

static void
healthz_cb(struct evhttp_request *hr, void *arg)
{
	struct evbuffer	*b = evbuffer_new();
	struct db_stats	 st;
	const char	*why = "database unavailable";

	(void)arg;
	db_stats(&st);
	if (b == NULL)
		return;
	/* a pool connection, and a probe answered in the last 3 s */
	if (st.healthy > 0 && db_probe_ok(&why)) {
		evbuffer_add_printf(b, "ok\n");
		evhttp_send_reply(hr, 200, "OK", b);
	} else {
		evbuffer_add_printf(b, "%s\n", why);
		evhttp_send_reply(hr, 503, "Service Unavailable", b);
	}
	evbuffer_free(b);
}

static void
metrics_cb(struct evhttp_request *hr, void *arg)
{
	struct evbuffer	*b = evbuffer_new();
	struct db_stats	 st;
	size_t		 i, c;

	(void)arg;
	if (b == NULL)
		return;
	db_stats(&st);
	evbuffer_add_printf(b, "# TYPE parkd_requests_total counter\n");
	for (i = 0; i < nslots; i++) {
		for (c = 0; c < NCODES; c++) {
			uint64_t n = req_count[i * NCODES + c];

			if (n == 0)
				continue;
			evbuffer_add_printf(b, "parkd_requests_total{method=\"%s\","
			    "code=\"%s\"} %llu\n", dispatch_name((int)i),
			    protobuf_c_enum_descriptor_get_value(
			    &parkd__v1__code__descriptor, (int)c) ?
			    protobuf_c_enum_descriptor_get_value(
			    &parkd__v1__code__descriptor, (int)c)->name : "?",
			    (unsigned long long)n);
		}
	}
	evbuffer_add_printf(b, "# TYPE parkd_request_ms_total counter\n");
	for (i = 0; i < nslots; i++) {
		if (req_ms[i] > 0)
			evbuffer_add_printf(b, "parkd_request_ms_total{method=\""
			    "%s\"} %llu\n", dispatch_name((int)i),
			    (unsigned long long)req_ms[i]);
	}
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
	    nconns, (unsigned long long)conns_opened,
	    (unsigned long long)conns_closed, nreqs, st.healthy, st.busy,
	    st.pinned, st.total - st.healthy, st.waiting);
	evhttp_add_header(evhttp_request_get_output_headers(hr),
	    "Content-Type", "text/plain; version=0.0.4");
	evhttp_send_reply(hr, 200, "OK", b);
	evbuffer_free(b);
}

/* Listen on http_listen ("" for none). */
int
metrics_start(const struct config *cfg, char **cause)
{
	char	 host[256], *colon;

	nslots = dispatch_count() + 1;
	if ((req_count = calloc(nslots * NCODES, sizeof(*req_count))) == NULL ||
	    (req_ms = calloc(nslots, sizeof(*req_ms))) == NULL)
		fatal("metrics");
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
metrics_stop(void)
{
	if (http != NULL)
		evhttp_free(http);
	http = NULL;
	free(req_count);
	free(req_ms);
	req_count = NULL;
	req_ms = NULL;
}
