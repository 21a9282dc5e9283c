/*
 * idleconns: hold many idle mutual-TLS connections to a running parkd, for
 * bench-serve's memory and interference figures. Opens N connections one
 * after another (one TLS context for all), makes one WhoAmI call on each
 * (so parkd counts them as clients, not as silent sockets), prints
 * "open N SECONDS" once all are open, then holds them until SIGUSR1 or
 * SIGTERM, closes them all and prints "closed".
 *
 *	idleconns -a HOST:PORT -t TLSDIR -n CERTNAME -c N
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libparkc.h"

static volatile sig_atomic_t	 stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double
now_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* One WhoAmI on pc: 0 if parkd answered OK. */
static int
whoami(struct parkc *pc)
{
	Parkd__V1__WhoAmIRequest	 in = PARKD__V1__WHO_AM_IREQUEST__INIT;
	struct parkc_result		 res;
	int				 rc;

	if (parkc_call(pc, "WhoAmI", &in.base, "", &res) != 0)
		return (-1);
	rc = res.code == 0 ? 0 : -1;
	parkc_result_free(&res);
	return (rc);
}

static void
usage(void)
{
	fprintf(stderr, "usage: idleconns -a HOST:PORT -t TLSDIR -n CERTNAME "
	    "-c N\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct parkc_opts	  po;
	struct parkc		**pcs;
	const char		 *addr = "127.0.0.1:7443", *tls = ".";
	const char		 *name = "bureau";
	char			  cert[512], key[512], ca[512], err[256];
	int			  ch, n = 1000, i;
	double			  t0;

	while ((ch = getopt(argc, argv, "a:t:n:c:")) != -1) {
		switch (ch) {
		case 'a': addr = optarg; break;
		case 't': tls = optarg; break;
		case 'n': name = optarg; break;
		case 'c': n = atoi(optarg); break;
		default: usage();
		}
	}
	if (n < 1 || n > 100000)
		usage();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGUSR1, on_signal);
	signal(SIGTERM, on_signal);
	if ((pcs = calloc((size_t)n, sizeof(*pcs))) == NULL)
		return (1);
	snprintf(cert, sizeof(cert), "%s/%s.crt", tls, name);
	snprintf(key, sizeof(key), "%s/%s.key", tls, name);
	snprintf(ca, sizeof(ca), "%s/ca.crt", tls);
	memset(&po, 0, sizeof(po));
	po.server = addr;
	po.cert = cert;
	po.key = key;
	po.ca = ca;
	po.timeout_ms = 10000;
	t0 = now_s();
	for (i = 0; i < n && !stop; i++) {
		if ((pcs[i] = parkc_connect(&po, err, sizeof(err))) == NULL) {
			fprintf(stderr, "idleconns: connection %d: %s\n", i,
			    err);
			break;
		}
		if (whoami(pcs[i]) != 0) {
			fprintf(stderr, "idleconns: connection %d: WhoAmI: "
			    "%s\n", i, parkc_error(pcs[i]));
			parkc_close(pcs[i]);
			pcs[i] = NULL;
			break;
		}
		po.share = pcs[0];
	}
	printf("open %d %.1f\n", i, now_s() - t0);
	fflush(stdout);
	while (!stop)
		pause();
	for (i = n - 1; i >= 0; i--)	/* pcs[0] holds the shared context */
		parkc_close(pcs[i]);
	free(pcs);
	printf("closed\n");
	return (0);
}
