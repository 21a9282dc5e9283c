/*
 * Data for bench-sync: N firms (valid credit codes) in one park, and their
 * quarterly reports twice over: as parkctl's CSV (credit codes, yuan) and as
 * COPY's CSV for firm_reports (firm ids, fen). Same rows, same table.
 *
 *	gen_sync DIR FIRMS QUARTERS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib.h"

static void
code(int n, char out[19])
{
	snprintf(out, 19, "91370200MA%06u", (unsigned)n % 1000000u);
	out[16] = orgcode_check_char(out + 8);
	out[17] = creditcode_check_char(out);
	out[18] = '\0';
}

static FILE *
open_in(const char *dir, const char *name)
{
	char	 path[1024];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	return (f);
}

int
main(int argc, char **argv)
{
	FILE		*firms, *ten, *rep, *cp;
	char		 c[19];
	int		 nfirms, nq, i, q;
	unsigned long	 x = 88172645463325252UL;

	if (argc != 4) {
		fprintf(stderr, "usage: gen_sync DIR FIRMS QUARTERS\n");
		return (2);
	}
	nfirms = atoi(argv[2]);
	nq = atoi(argv[3]);
	firms = open_in(argv[1], "firms.copy");
	ten = open_in(argv[1], "tenancies.copy");
	rep = open_in(argv[1], "reports.csv");
	cp = open_in(argv[1], "reports.copy");
	fprintf(rep, "credit_code,year,quarter,revenue_yuan,jobs,graduate_jobs,"
	    "rnd_spend_yuan,ip_granted\n");
	for (i = 1; i <= nfirms; i++) {
		code(i, c);
		fprintf(firms, "%d,%s,基准测试企业%d,I651,2020-01-01\n", i, c, i);
		fprintf(ten, "%d,1,2021-01-01,100\n", i);
		for (q = 0; q < nq; q++) {
			long long rev, rnd;
			int jobs, grad, ip;

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			rev = (long long)(x % 50000000);
			rnd = rev / 10;
			jobs = (int)(x % 50) + 1;
			grad = jobs / 3;
			ip = (int)(x % 3);
			fprintf(rep, "%s,%d,%d,%lld.%02lld,%d,%d,%lld.%02lld,%d\n",
			    c, 2021 + q / 4, q % 4 + 1, rev / 100, rev % 100,
			    jobs, grad, rnd / 100, rnd % 100, ip);
			fprintf(cp, "%d,%d,%d,%lld,%d,%d,%lld,%d\n", i,
			    2021 + q / 4, q % 4 + 1, rev, jobs, grad, rnd, ip);
		}
	}
	fclose(firms);
	fclose(ten);
	fclose(rep);
	fclose(cp);
	return (0);
}
