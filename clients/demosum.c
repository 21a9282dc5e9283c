/*
 * parkctl demo summary: what parkd holds, district by district (parks,
 * admitted, high level, area, staff) and the number of firms, read through
 * the RPC as any client would.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parkctl.h"
#include "pcmd.h"
#include "lib/lib.h"

struct dsum {
	char	 district[64];
	int	 parks;
	int	 admitted;
	int	 high;
	int64_t	 area;
	int	 staff;
};

static struct dsum *
dsum_find(struct dsum *s, int *n, const char *district)
{
	int	 i;

	for (i = 0; i < *n; i++) {
		if (strcmp(s[i].district, district) == 0)
			return (&s[i]);
	}
	if (*n == 64)
		return (&s[63]);
	snprintf(s[*n].district, sizeof(s[*n].district), "%s", district);
	return (&s[(*n)++]);
}

/* Page through ListFirms and count them. */
static int
count_firms(struct ctl *ctl, long *nfirms)
{
	Parkd__V1__ListFirmsRequest	 req = PARKD__V1__LIST_FIRMS_REQUEST__INIT;
	Parkd__V1__ListFirmsResponse	*out;
	struct parkc_result		 res;
	char				 tok[32] = "";

	*nfirms = 0;
	req.page_size = 1000;
	do {
		req.page_token = tok;
		if (ctl_call(ctl, "ListFirms", &req.base, &res) != 0)
			return (-1);
		out = (Parkd__V1__ListFirmsResponse *)res.body;
		*nfirms += (long)out->n_firms;
		snprintf(tok, sizeof(tok), "%s", out->next_page_token);
		parkc_result_free(&res);
	} while (tok[0] != '\0');
	return (0);
}

static int
sum_parks(struct ctl *ctl, struct dsum *s, int *ns)
{
	Parkd__V1__ListParksRequest	 req = PARKD__V1__LIST_PARKS_REQUEST__INIT;
	Parkd__V1__ListParksResponse	*out;
	struct parkc_result		 res;
	char				 tok[32] = "";
	size_t				 i;

	req.page_size = 1000;
	do {
		req.page_token = tok;
		if (ctl_call(ctl, "ListParks", &req.base, &res) != 0)
			return (-1);
		out = (Parkd__V1__ListParksResponse *)res.body;
		for (i = 0; i < out->n_parks; i++) {
			Parkd__V1__Park *p = out->parks[i];
			struct dsum *d = dsum_find(s, ns, p->district);

			d->parks++;
			d->admitted += strcmp(p->status, "admitted") == 0;
			d->high += strcmp(p->level, "high_level") == 0;
			d->area += p->total_area;
			d->staff += p->staff_count;
		}
		snprintf(tok, sizeof(tok), "%s", out->next_page_token);
		parkc_result_free(&res);
	} while (tok[0] != '\0');
	return (0);
}

/* parkctl summary: parks by district, and the number of firms. */
int
demo_summary(struct ctl *ctl)
{
	struct dsum	 s[64], total;
	const char	*head[] = { "district", "parks", "admitted",
	    "high_level", "area_m2", "staff" };
	char		*cells[65 * 6];
	int		 ns = 0, i, c;
	long		 nfirms;

	memset(s, 0, sizeof(s));
	memset(&total, 0, sizeof(total));
	if (ctl_connect(ctl) != 0 || sum_parks(ctl, s, &ns) != 0 ||
	    count_firms(ctl, &nfirms) != 0)
		return (1);
	snprintf(total.district, sizeof(total.district), "合计 total");
	for (i = 0; i < ns; i++) {
		total.parks += s[i].parks;
		total.admitted += s[i].admitted;
		total.high += s[i].high;
		total.area += s[i].area;
		total.staff += s[i].staff;
	}
	s[ns++] = total;
	for (i = 0; i < ns; i++) {
		c = i * 6;
		cells[c] = strdup(s[i].district);
		asprintf(&cells[c + 1], "%d", s[i].parks);
		asprintf(&cells[c + 2], "%d", s[i].admitted);
		asprintf(&cells[c + 3], "%d", s[i].high);
		asprintf(&cells[c + 4], "%lld", (long long)(s[i].area / 100));
		asprintf(&cells[c + 5], "%d", s[i].staff);
	}
	pcmd_table(stdout, head, 6, (const char *const *)cells, ns);
	printf("firms registered: %ld\n", nfirms);
	for (i = 0; i < ns * 6; i++)
		free(cells[i]);
	return (0);
}
