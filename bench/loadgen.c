/*
 * loadgen: requests per second and latency of a running parkd, over
 * persistent mutual-TLS connections (libparkc), each keeping DEPTH
 * requests in flight, for a fixed time. All connections are driven from
 * one thread with poll(2), as pgbench drives its clients.
 *
 *	loadgen -a HOST:PORT -t TLSDIR -n CERTNAME -c CONNS -d DEPTH \
 *	    -s SECONDS -m read|write -p PARK -f FIRM -r RUN
 *
 * read: GetPark, GetFirm, ListTenancies (of the park), GetEvaluationResult
 * in turn; write: PutFirmReport of the firm, quarter after quarter. Prints
 * one line: conns, depth, requests, errors, req/s, p50/p99/p99.9 in us.
 */
#include <sys/time.h>

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libparkc.h"

#define MAX_DEPTH	64
#define MAX_SAMPLES	(1 << 21)

static struct {
	const char	*addr, *tls, *cert, *mix, *park, *firm;
	int		 conns, depth, seconds;
	int64_t		 run;
} o = { "127.0.0.1:7443", ".", "bureau", "read", "BENCH",
    "", 1, 1, 10, 0 };

struct worker {
	struct parkc	*pc;
	uint64_t	 k;		/* requests sent */
	int		 out;		/* of them, not answered */
	uint64_t	*lat;		/* microseconds */
	size_t		 n;
	size_t		 cap;
	uint64_t	 errors;
	uint64_t	 sent_at[MAX_DEPTH * 4];
};

static uint64_t
now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

/* Send request number k of the mix; its id comes back in *id. */
static int
send_one(struct parkc *pc, uint64_t k, uint64_t *id)
{
	Parkd__V1__GetParkRequest	 gp = PARKD__V1__GET_PARK_REQUEST__INIT;
	Parkd__V1__GetFirmRequest	 gf = PARKD__V1__GET_FIRM_REQUEST__INIT;
	Parkd__V1__ListTenanciesRequest	 lt =
	    PARKD__V1__LIST_TENANCIES_REQUEST__INIT;
	Parkd__V1__GetEvaluationResultRequest er =
	    PARKD__V1__GET_EVALUATION_RESULT_REQUEST__INIT;
	Parkd__V1__PutFirmReportRequest	 pr =
	    PARKD__V1__PUT_FIRM_REPORT_REQUEST__INIT;
	Parkd__V1__FirmReport		 rep;

	if (strcmp(o.mix, "write") == 0) {
		parkd__v1__firm_report__init(&rep);
		rep.credit_code = (char *)o.firm;
		rep.year = 2025 - (int32_t)(k / 4 % 5);
		rep.quarter = (int32_t)(k % 4) + 1;
		rep.revenue = (int64_t)(k % 1000) * 100;
		rep.jobs = 10;
		pr.report = &rep;
		return (parkc_send(pc, "PutFirmReport", &pr.base, "", id));
	}
	switch (k % 4) {
	case 0:
		gp.code = (char *)o.park;
		return (parkc_send(pc, "GetPark", &gp.base, "", id));
	case 1:
		gf.credit_code = (char *)o.firm;
		return (parkc_send(pc, "GetFirm", &gf.base, "", id));
	case 2:
		lt.park_code = (char *)o.park;
		lt.page_size = 20;
		return (parkc_send(pc, "ListTenancies", &lt.base, "", id));
	default:
		er.run_id = o.run;
		er.park_code = (char *)o.park;
		return (parkc_send(pc, "GetEvaluationResult", &er.base, "",
		    id));
	}
}

/* Connect worker w; 0, or -1 (said on stderr). */
static int
conn_open(struct worker *w)
{
	struct parkc_opts	 po;
	char			 cert[512], key[512], ca[512], err[256];

	memset(&po, 0, sizeof(po));
	snprintf(cert, sizeof(cert), "%s/%s.crt", o.tls, o.cert);
	snprintf(key, sizeof(key), "%s/%s.key", o.tls, o.cert);
	snprintf(ca, sizeof(ca), "%s/ca.crt", o.tls);
	po.server = o.addr;
	po.cert = cert;
	po.key = key;
	po.ca = ca;
	if ((w->pc = parkc_connect(&po, err, sizeof(err))) == NULL) {
		fprintf(stderr, "loadgen: %s\n", err);
		return (-1);
	}
	return (0);
}

/* Send the next request of the mix on w. */
static int
conn_send(struct worker *w)
{
	uint64_t	 id;

	if (send_one(w->pc, w->k++, &id) != 0)
		return (-1);
	w->sent_at[id % (MAX_DEPTH * 4)] = now_us();
	w->out++;
	return (0);
}

/* One response on w: its latency, and the next request until end. */
static int
conn_recv(struct worker *w, uint64_t end)
{
	Parkd__V1__Response	*resp;
	uint64_t		 t;

	if (parkc_recv(w->pc, &resp) != 0)
		return (-1);
	t = now_us();
	if (resp->status != NULL && resp->status->code != 0)
		w->errors++;
	else if (w->n < w->cap)
		w->lat[w->n++] = t - w->sent_at[resp->id % (MAX_DEPTH * 4)];
	parkd__v1__response__free_unpacked(resp, NULL);
	w->out--;
	return (t < end ? conn_send(w) : 0);
}

/*
 * Every connection from one thread, as pgbench drives its clients: poll(2)
 * for the sockets with a response, then whatever the TLS layer holds.
 */
static int
run(struct worker *w, int n)
{
	struct pollfd	*pf;
	uint64_t	 end = now_us() + (uint64_t)o.seconds * 1000000;
	int		 i, d, busy;

	if ((pf = calloc((size_t)n, sizeof(*pf))) == NULL)
		return (-1);
	for (i = 0; i < n; i++) {
		pf[i].fd = parkc_fd(w[i].pc);
		pf[i].events = POLLIN;
		for (d = 0; d < o.depth; d++)
			if (conn_send(&w[i]) != 0)
				goto fail;
	}
	for (busy = n; busy > 0;) {
		if (poll(pf, (nfds_t)n, 1000) < 0 && errno != EINTR) {
			fprintf(stderr, "loadgen: poll: %s\n", strerror(errno));
			free(pf);
			return (-1);
		}
		for (busy = 0, i = 0; i < n; i++) {
			while (w[i].out > 0 && ((pf[i].revents &
			    (POLLIN | POLLHUP | POLLERR)) ||
			    parkc_pending(w[i].pc))) {
				pf[i].revents = 0;
				if (conn_recv(&w[i], end) != 0)
					goto fail;
			}
			busy += w[i].out > 0;
		}
	}
	free(pf);
	return (0);
fail:
	fprintf(stderr, "loadgen: %s\n", parkc_error(w[i].pc));
	free(pf);
	return (-1);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	 x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y ? -1 : x > y);
}

static uint64_t
pct(const uint64_t *v, size_t n, int per_mille)
{
	return (n == 0 ? 0 : v[(n - 1) * (size_t)per_mille / 1000]);
}

static void
usage(void)
{
	fprintf(stderr, "usage: loadgen -a HOST:PORT -t TLSDIR -n CERT -c CONNS "
	    "-d DEPTH -s SECONDS -m read|write -p PARK -f FIRM -r RUN\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct worker	*w;
	uint64_t	*all, t0, t1, errors = 0;
	size_t		 n = 0, i;
	int		 ch, failed = 0;

	while ((ch = getopt(argc, argv, "a:t:n:c:d:s:m:p:f:r:")) != -1) {
		switch (ch) {
		case 'a': o.addr = optarg; break;
		case 't': o.tls = optarg; break;
		case 'n': o.cert = optarg; break;
		case 'c': o.conns = atoi(optarg); break;
		case 'd': o.depth = atoi(optarg); break;
		case 's': o.seconds = atoi(optarg); break;
		case 'm': o.mix = optarg; break;
		case 'p': o.park = optarg; break;
		case 'f': o.firm = optarg; break;
		case 'r': o.run = strtoll(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (o.conns < 1 || o.conns > 1024 || o.depth < 1 ||
	    o.depth > MAX_DEPTH || o.seconds < 1 || o.seconds > 600)
		usage();
	signal(SIGPIPE, SIG_IGN);
	if ((w = calloc((size_t)o.conns, sizeof(*w))) == NULL)
		return (1);
	for (i = 0; i < (size_t)o.conns; i++) {
		w[i].cap = MAX_SAMPLES / (size_t)o.conns;
		if ((w[i].lat = malloc(w[i].cap * sizeof(uint64_t))) == NULL)
			return (1);
	}
	for (i = 0; i < (size_t)o.conns; i++)
		if (conn_open(&w[i]) != 0)
			return (1);
	t0 = now_us();
	failed = run(w, o.conns) != 0;
	t1 = now_us();
	for (i = 0; i < (size_t)o.conns; i++) {
		n += w[i].n;
		errors += w[i].errors;
		parkc_close(w[i].pc);
	}
	if ((all = malloc((n + 1) * sizeof(*all))) == NULL)
		return (1);
	for (n = 0, i = 0; i < (size_t)o.conns; i++) {
		memcpy(all + n, w[i].lat, w[i].n * sizeof(*all));
		n += w[i].n;
	}
	qsort(all, n, sizeof(*all), cmp_u64);
	printf("conns %d depth %d requests %zu errors %" PRIu64 " rps %.0f "
	    "p50_us %" PRIu64 " p99_us %" PRIu64 " p999_us %" PRIu64 "\n",
	    o.conns, o.depth, n, errors, (double)n / ((double)(t1 - t0) / 1e6),
	    pct(all, n, 500), pct(all, n, 990), pct(all, n, 999));
	return (failed || errors > 0 ? 1 : 0);
}
