/* parkd: flags, start-up, signals and shutdown. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/ssl.h>

#include "core/core.h"
#include "rpc/rpc.h"
#include "store/store.h"
#include "svc/svc.h"
#include "http.h"

#define DEFAULT_CONFIG	"/etc/parkd/parkd.conf"

static void
usage(FILE *f)
{
	fprintf(f,
"usage: parkd [-c FILE] [--check-config | --migrate |\n"
"             --add-principal CERT --role ROLE [--park CODE] [--name NAME]]\n"
"\n"
"  -c, --config FILE      configuration file (default " DEFAULT_CONFIG ")\n"
"      --check-config     check the configuration and TLS files, print the\n"
"                         effective settings, exit\n"
"      --migrate          apply database migrations and exit\n"
"      --print-eval-query print the query that measures the evaluation's\n"
"                         raw indicators ($1 year, $2..$3 its first and\n"
"                         last day, $4 award kind, $5 failing grade, $6 one\n"
"                         park's id or 0 for all)\n"
"      --print-sql NAME   print statement NAME of daemon/store/sql/\n"
"      --add-principal CERT  register the certificate CERT (PEM) as a\n"
"                         principal with --role admin|bureau|operator|viewer|\n"
"                         expert (operators also --park CODE), then exit\n"
"  -v, --version          print the version\n"
"  -h, --help             this text\n");
}

static void
signal_cb(evutil_socket_t sig, short ev, void *arg)
{
	(void)ev;
	(void)arg;
	if (sig == SIGHUP) {
		log_info("SIGHUP: reloading");
		server_reload();
		return;
	}
	log_info("signal %d: shutting down", (int)sig);
	server_drain();
}

static void
janitor_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	conn_janitor(now_ms());
	dbpool_janitor(now_ms());
}

/* Apply pending migrations before serving (blocking, at start only). */
static void
startup_migrate(const struct config *cfg)
{
	PGconn	*pg;
	char	*cause = NULL;

	if ((pg = migrate_connect(cfg->database, 30, &cause)) == NULL)
		fatalx("%s", cause);
	if (migrate_run(pg, &cause) != 0) {
		PQfinish(pg);
		fatalx("migrations: %s", cause);
	}
	if (sql_check(pg, &cause) != 0 ||
	    policy_file_load(cfg, pg, &cause) != 0) {
		PQfinish(pg);
		fatalx("%s", cause);
	}
	PQfinish(pg);
}

static int
check_config(struct config *cfg)
{
	SSL_CTX	*ctx;
	char	*cause = NULL;

	if ((ctx = tls_server_ctx(cfg, &cause)) == NULL) {
		fprintf(stderr, "parkd: %s\n", cause);
		free(cause);
		return (1);
	}
	SSL_CTX_free(ctx);
	config_print(cfg, stdout);
	printf("# %s: configuration OK\n", cfg->path);
	return (0);
}

/* Every service's method table, for dispatch. */
static const struct method_def *const method_tables[] = {
	svc_park_methods, svc_firm_methods, svc_facts_methods,
	svc_tenancy_methods, svc_rules_methods, svc_sync_methods,
	svc_export_methods, svc_eval_methods, svc_principal_methods,
	svc_declaration_methods, svc_declstatus_methods, svc_expert_methods,
	NULL
};

/* The layers meet here: who owns connections, reloads, push clean-up. */
static void
wire_hooks(void)
{
	server->conn_cb = session_event;
	server_on_reload(policy_file_reload);
	session_on_close(sync_session_closed);
	dispatch_init(method_tables);
	auth_init(SQL_PRINCIPAL_BY_FINGERPRINT);
	stats_init(dispatch_count());
}

static void
serve(struct config *cfg)
{
	struct event	*sigs[4], *janitor;
	struct timeval	 sec = { 1, 0 };
	char		*cause = NULL;
	int		 signums[4] = { SIGTERM, SIGINT, SIGHUP, 0 }, i;

	if ((server = calloc(1, sizeof(*server))) == NULL ||
	    (server->base = event_base_new()) == NULL)
		fatalx("cannot create the event loop");
	server->cfg = cfg;
	server_raise_fd_limit();
	if ((server->ssl_ctx = tls_server_ctx(cfg, &cause)) == NULL)
		fatalx("%s", cause);
	startup_migrate(cfg);
	wire_hooks();
	if (dbpool_start(cfg, db_lost, sql_stmts, &cause) != 0 ||
	    server_listen(&cause) != 0 || http_start(cfg, &cause) != 0)
		fatalx("%s", cause);
	for (i = 0; signums[i] != 0; i++) {
		sigs[i] = evsignal_new(server->base, signums[i], signal_cb, NULL);
		if (sigs[i] == NULL || event_add(sigs[i], NULL) != 0)
			fatalx("cannot install signal handlers");
	}
	janitor = event_new(server->base, -1, EV_PERSIST, janitor_cb, NULL);
	if (janitor == NULL || event_add(janitor, &sec) != 0)
		fatalx("cannot start the janitor");
	log_info("parkd %s ready pool_size=%d", PARKD_VERSION, cfg->pool_size);
	event_base_dispatch(server->base);

	log_info("stopped");
	for (i = 0; signums[i] != 0; i++)
		event_free(sigs[i]);
	event_free(janitor);
	http_stop();
	dbpool_stop();
	policy_cache_free();
	stats_free();
	dispatch_free();
	server_free();
}

/* What the command line asked for. */
struct opts {
	const char	*path;
	const char	*cert;		/* --add-principal */
	const char	*role;
	const char	*park;
	const char	*name;
	int		 check;
	int		 migrate;
};

/* --print-sql NAME: the statement as parkd prepares it; 1 if none. */
static int
print_sql(const char *name)
{
	const struct dbpool_stmt	*st;

	for (st = sql_stmts; st->name != NULL; st++) {
		if (strcmp(st->name, name) == 0) {
			printf("%s;\n", st->sql);
			return (0);
		}
	}
	fprintf(stderr, "parkd: no statement %s in daemon/store/sql/\n", name);
	return (1);
}

/* Parse the flags; -1 to exit with rc (usage, version, help done). */
static int
parse_args(int argc, char **argv, struct opts *o, int *rc)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "migrate", no_argument, NULL, 'M' },
		{ "add-principal", required_argument, NULL, 'A' },
		{ "role", required_argument, NULL, 'R' },
		{ "park", required_argument, NULL, 'P' },
		{ "name", required_argument, NULL, 'N' },
		{ "version", no_argument, NULL, 'v' },
		{ "print-eval-query", no_argument, NULL, 'Q' },
		{ "print-sql", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int	 ch;

	memset(o, 0, sizeof(*o));
	o->path = DEFAULT_CONFIG;
	*rc = 0;
	while ((ch = getopt_long(argc, argv, "c:vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->path = optarg; break;
		case 'C': o->check = 1; break;
		case 'M': o->migrate = 1; break;
		case 'A': o->cert = optarg; break;
		case 'R': o->role = optarg; break;
		case 'P': o->park = optarg; break;
		case 'N': o->name = optarg; break;
		case 'v': printf("parkd %s\n", PARKD_VERSION); return (-1);
		case 'Q': printf("%s\n", sql_stmts[SQL_EVAL_RAW].sql); return (-1);
		case 'S': *rc = print_sql(optarg); return (-1);
		case 'h': usage(stdout); return (-1);
		default: usage(stderr); *rc = 2; return (-1);
		}
	}
	if (optind != argc || (o->role != NULL && o->cert == NULL)) {
		usage(stderr);
		*rc = 2;
		return (-1);
	}
	return (0);
}

/* --add-principal: register a certificate, then exit. */
static int
add_principal(struct config *cfg, const struct opts *o)
{
	char	*cause = NULL;
	int	 rc;

	if (o->role == NULL) {
		fprintf(stderr, "parkd: --add-principal needs --role\n");
		return (2);
	}
	rc = svc_principal_add_cli(cfg, o->cert, o->role, o->park,
	    o->name ? o->name : o->cert, &cause);
	if (rc != 0)
		fprintf(stderr, "parkd: %s\n", cause);
	free(cause);
	return (rc == 0 ? 0 : 1);
}

int
main(int argc, char **argv)
{
	struct opts	 o;
	struct config	*cfg;
	char		*cause = NULL;
	int		 rc;

	if (parse_args(argc, argv, &o, &rc) != 0)
		return (rc);
	if ((cfg = config_load(o.path, &cause)) == NULL) {
		fprintf(stderr, "parkd: %s\n", cause);
		free(cause);
		return (1);
	}
	log_setlevel(log_level_parse(cfg->log_level));
	signal(SIGPIPE, SIG_IGN);
	if (o.check || o.migrate || o.cert != NULL) {
		if (o.check)
			rc = check_config(cfg);
		else if (o.migrate)
			startup_migrate(cfg);
		else
			rc = add_principal(cfg, &o);
		config_unref(cfg);
		return (rc);
	}
	serve(cfg);
	return (0);
}
