/*
 * Counters for /metrics: requests by method slot and status code, their
 * time and latency histogram, connections, waits for a pool connection,
 * sync rows, evaluation runs. Leaf code: the layers above bump them,
 * http.c reads.
 */
#include <stdlib.h>

#include "core/core.h"

struct stats	stats;

/* Bucket upper bounds (microseconds); the last bucket is +Inf. */
const uint64_t	stats_bucket_us[STATS_NBUCKETS - 1] = {
	250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000,
	500000, 1000000, 5000000, 30000000,
};

void
stats_hist_add(struct stats_hist *h, uint64_t us)
{
	int	 b;

	for (b = 0; b < STATS_NBUCKETS - 1 && us > stats_bucket_us[b]; b++)
		;
	h->n[b]++;
	h->sum_us += us;
	h->count++;
}

/* Slots for nmethods methods, plus one for unknown methods. */
void
stats_init(size_t nmethods)
{
	stats.nslots = nmethods + 1;
	stats.req_count = calloc(stats.nslots * STATS_NCODES,
	    sizeof(*stats.req_count));
	stats.req_ms = calloc(stats.nslots, sizeof(*stats.req_ms));
	stats.req_hist = calloc(stats.nslots, sizeof(*stats.req_hist));
	if (stats.req_count == NULL || stats.req_ms == NULL ||
	    stats.req_hist == NULL)
		fatal("stats");
}

void
stats_free(void)
{
	free(stats.req_count);
	free(stats.req_ms);
	free(stats.req_hist);
	stats.req_count = NULL;
	stats.req_ms = NULL;
	stats.req_hist = NULL;
}

/* One finished request of method slot (-1: unknown method), us long. */
void
stats_request(int slot, int code, uint64_t us)
{
	size_t	 i;

	if (stats.req_count == NULL || code < 0 || code >= STATS_NCODES)
		return;
	i = slot >= 0 && (size_t)slot < stats.nslots - 1 ? (size_t)slot :
	    stats.nslots - 1;
	stats.req_count[i * STATS_NCODES + (size_t)code]++;
	stats.req_ms[i] += us / 1000;
	stats_hist_add(&stats.req_hist[i], us);
}

void
stats_conn(int opened)
{
	if (opened) {
		stats.conns_opened++;
		stats.conns++;
	} else {
		stats.conns_closed++;
		stats.conns--;
	}
}
