/*
 * parkctl: command-line client of parkd. Every RPC is a sub-command named
 * after its method (CreatePark -> create-park) with the input's fields as
 * flags; plus demo-data and summary.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "parkctl.h"
#include "pcmd.h"

static void
usage(FILE *f)
{
	fprintf(f,
"usage: parkctl [global options] COMMAND [--field value ...]\n"
"\n"
"global options (also from ~/.config/parkctl.conf, or $PARKCTL_CONFIG):\n"
"  --server HOST:PORT   parkd address (default 127.0.0.1:7443)\n"
"  --cert FILE --key FILE  client certificate and key (PEM)\n"
"  --ca FILE            CA that signed parkd's certificate\n"
"  --json               print JSON instead of tables (the wire's units)\n"
"  --raw                money in fen and area in m2 x 100, as on the wire\n"
"                       (default: yuan and m2, two decimals, exact)\n"
"  --idempotency-key K  sent with the request\n"
"\n"
"commands:\n"
"  demo-data [--parks N] [--firms N] [--seed N]  load a demo city\n"
"  summary              parks and firms by district\n"
"  sync FILE.csv --kind KIND --park-code CODE [--refused FILE] [--chunk N]\n"
"                       push a CSV file (see README for the columns)\n"
"  export --kind KIND --park-code CODE [--out FILE]   the same shapes back\n"
"  eval run --year Y [--provisional] [--corrects RUN] | show RUN [--park CODE]\n"
"       | publish RUN | finalize RUN | objections RUN | object RUN --park CODE\n"
"       [--file F] TEXT | answer ID [--upheld] TEXT | objection-file ID FILE |\n"
"       export RUN --csv FILE |\n"
"       report RUN --html FILE               the evaluation and its notice\n"
"  declaration status --year Y | show|assemble|submit PARK --year Y |\n"
"       attach PARK --year Y [--kind K] FILE | approve|return PARK --year Y\n"
"       [--comment TEXT] | save EVIDENCE_ID FILE   annual declarations\n"
"  expert score PARK --year Y [--comment T] KEY=POINTS... | scores PARK\n"
"       --year Y                           an expert's scores (0..100.00)\n"
"  sweep [--as-of D] --csv FILE   the rules' proposals, as CSV for decide\n"
"  decide FILE.csv [--all-or-nothing] [--refused FILE] [--date D]\n"
"                       exit-firm / warn-park / exit-park rows (or the sweep's\n"
"                       proposals), row by row or all or nothing\n"
"  completion bash      the bash completion script (from the descriptors)\n");
	pcmd_list_methods(f);
	fprintf(f, "\nValues: --flag value or --flag=value; lists are "
	    "comma-separated; @FILE reads a file.\nMoney is yuan and area m2 (two "
	    "decimals), or fen and m2 x 100 with --raw or a flag\nnamed so "
	    "(--amount_fen); dates YYYY-MM-DD. Update commands fill update_mask\n"
	    "with the fields you give and need --id (or --code) and --version.\n");
}

/*
 * One call under idempotency key key ("" for none); a failure is printed
 * (and freed): then -1.
 */
int
ctl_call_key(struct ctl *ctl, const char *method, const ProtobufCMessage *in,
    const char *key, struct parkc_result *res)
{
	if (ctl_connect(ctl) != 0)
		return (-1);
	if (parkc_call(ctl->pc, method, in, key, res) != 0) {
		fprintf(stderr, "parkctl: %s\n", parkc_error(ctl->pc));
		return (-1);
	}
	if (res->code != 0) {
		pcmd_print_result(res, 0);
		parkc_result_free(res);
		return (-1);
	}
	return (0);
}

/* One call under the --idempotency-key given, as ctl_call_key. */
int
ctl_call(struct ctl *ctl, const char *method, const ProtobufCMessage *in,
    struct parkc_result *res)
{
	return (ctl_call_key(ctl, method, in, ctl->idem, res));
}

/* The commands written by hand, each with the words that may follow it. */
static const char *const custom_words[] = {
	"demo-data", "--parks --firms --seed",
	"summary", "",
	"sync", "--kind --park-code --refused --chunk",
	"export", "--kind --park-code --out",
	"eval", "run show publish finalize objections object answer "
	    "objection-file export report --year --provisional --corrects --top "
	    "--park --csv --html --file --upheld",
	"declaration", "status show assemble attach submit approve return save "
	    "--year --kind --media-type --comment",
	"expert", "score scores --year --comment",
	"decide", "--all-or-nothing --refused --date",
	"sweep", "--as-of --csv",
	"completion", "bash",
	NULL
};

/* A path from the config file, relative to the file's directory. */
static const char *
conf_path(char *buf, size_t n, const char *base, const char *p)
{
	const char	*slash = strrchr(base, '/');

	if (p[0] == '/' || slash == NULL)
		snprintf(buf, n, "%s", p);
	else
		snprintf(buf, n, "%.*s/%s", (int)(slash - base), base, p);
	return (buf);
}

/* Defaults from the config file, if there is one. */
static void
load_conf(struct ctl *ctl)
{
	static char	 path[1024], srv[256], cert[1024], key[1024], ca[1024];
	const char	*env = getenv("PARKCTL_CONFIG"), *home = getenv("HOME");
	const char	*v;
	config_t	 lc;

	if (env != NULL)
		snprintf(path, sizeof(path), "%s", env);
	else if (home != NULL)
		snprintf(path, sizeof(path), "%s/.config/parkctl.conf", home);
	else
		return;
	config_init(&lc);
	if (config_read_file(&lc, path) != CONFIG_TRUE) {
		if (config_error_type(&lc) != CONFIG_ERR_FILE_IO)
			fprintf(stderr, "parkctl: %s:%d: %s\n", path,
			    config_error_line(&lc), config_error_text(&lc));
		config_destroy(&lc);
		return;
	}
	if (config_lookup_string(&lc, "server", &v))
		ctl->opts.server = conf_path(srv, sizeof(srv), "", v);
	if (config_lookup_string(&lc, "cert", &v))
		ctl->opts.cert = conf_path(cert, sizeof(cert), path, v);
	if (config_lookup_string(&lc, "key", &v))
		ctl->opts.key = conf_path(key, sizeof(key), path, v);
	if (config_lookup_string(&lc, "ca", &v))
		ctl->opts.ca = conf_path(ca, sizeof(ca), path, v);
	config_destroy(&lc);
}

int
ctl_connect(struct ctl *ctl)
{
	char	 err[512];

	if (ctl->pc != NULL)
		return (0);
	if ((ctl->pc = parkc_connect(&ctl->opts, err, sizeof(err))) == NULL) {
		fprintf(stderr, "parkctl: %s\n", err);
		return (-1);
	}
	return (0);
}

/* Take the global options out of argv, wherever they are. */
static int
take_globals(struct ctl *ctl, int *argc, char **argv)
{
	int	 i, o = 0;

	for (i = 0; i < *argc; i++) {
		const char	*a = argv[i];
		const char	**dst = NULL;

		if (strcmp(a, "--json") == 0) {
			ctl->json = 1;
			continue;
		}
		if (strcmp(a, "--raw") == 0) {
			pcmd_raw = 1;
			continue;
		}
		if (strcmp(a, "--server") == 0)
			dst = &ctl->opts.server;
		else if (strcmp(a, "--cert") == 0)
			dst = &ctl->opts.cert;
		else if (strcmp(a, "--key") == 0)
			dst = &ctl->opts.key;
		else if (strcmp(a, "--ca") == 0)
			dst = &ctl->opts.ca;
		else if (strcmp(a, "--idempotency-key") == 0)
			dst = &ctl->idem;
		if (dst == NULL) {
			argv[o++] = argv[i];
			continue;
		}
		if (i + 1 == *argc) {
			fprintf(stderr, "parkctl: %s needs a value\n", a);
			return (-1);
		}
		*dst = argv[++i];
	}
	*argc = o;
	return (0);
}

/* An uploaded policy: what was stored, not the document sent. */
static int
print_uploaded(const struct parkc_result *res)
{
	const Parkd__V1__Policy	*p = (const Parkd__V1__Policy *)res->body;
	size_t			 i;

	printf("policy %s stored, sha256 %s\nactive for:", p->name, p->hash);
	for (i = 0; i < p->n_active_years; i++)
		printf(" %d", p->active_years[i]);
	printf("%s\n", p->n_active_years ? "" : " no year (stored only)");
	return (0);
}

static int
run_method(struct ctl *ctl, const char *method, int argc, char **argv)
{
	const ProtobufCMessageDescriptor	*in;
	ProtobufCMessage			*msg;
	struct parkc_result			 res;
	char					 err[512] = "";
	int					 rc;

	parkc_method(method, &in, NULL);
	if ((msg = pcmd_build(in, argc, argv, err, sizeof(err))) == NULL) {
		fprintf(stderr, "parkctl: %s\n", err[0] ? err :
		    "out of memory");
		return (2);
	}
	if (ctl_connect(ctl) != 0) {
		protobuf_c_message_free_unpacked(msg, NULL);
		return (1);
	}
	if (parkc_call(ctl->pc, method, msg, ctl->idem, &res) != 0) {
		fprintf(stderr, "parkctl: %s\n", parkc_error(ctl->pc));
		protobuf_c_message_free_unpacked(msg, NULL);
		return (1);
	}
	if (res.code == 0 && !ctl->json && strcmp(method, "UploadPolicy") == 0)
		rc = print_uploaded(&res);
	else
		rc = pcmd_print_result(&res, ctl->json);
	parkc_result_free(&res);
	protobuf_c_message_free_unpacked(msg, NULL);
	return (rc);
}

int
main(int argc, char **argv)
{
	struct ctl	 ctl;
	const char	*cmd, *method;
	int		 rc;

	memset(&ctl, 0, sizeof(ctl));
	signal(SIGPIPE, SIG_IGN);
	load_conf(&ctl);
	argc--;
	argv++;
	if (take_globals(&ctl, &argc, argv) != 0)
		return (2);
	if (argc == 0 || strcmp(argv[0], "help") == 0 ||
	    strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
		usage(argc == 0 ? stderr : stdout);
		return (argc == 0 ? 2 : 0);
	}
	cmd = argv[0];
	if (strcmp(cmd, "demo-data") == 0)
		rc = demo_data(&ctl, argc - 1, argv + 1);
	else if (strcmp(cmd, "summary") == 0)
		rc = demo_summary(&ctl);
	else if (strcmp(cmd, "sync") == 0)
		rc = csv_sync(&ctl, argc - 1, argv + 1);
	else if (strcmp(cmd, "export") == 0)
		rc = csv_export(&ctl, argc - 1, argv + 1);
	else if (strcmp(cmd, "eval") == 0)
		rc = eval_cmd(&ctl, argc - 1, argv + 1);
	else if (strcmp(cmd, "declaration") == 0)
		rc = decl_cmd(&ctl, argc - 1, argv + 1);
	else if (strcmp(cmd, "expert") == 0)
		rc = expert_cmd(&ctl, argc - 1, argv + 1);
	else if (strcmp(cmd, "decide") == 0)
		rc = decide_cmd(&ctl, argc - 1, argv + 1);
	else if (strcmp(cmd, "sweep") == 0)
		rc = sweep_cmd(&ctl, argc - 1, argv + 1);
	else if (strcmp(cmd, "completion") == 0 && argc == 2 &&
	    strcmp(argv[1], "bash") == 0) {
		pcmd_completion_bash(stdout, custom_words);
		rc = 0;
	}
	else if ((method = pcmd_method_for(cmd)) != NULL)
		rc = run_method(&ctl, method, argc - 1, argv + 1);
	else {
		fprintf(stderr, "parkctl: unknown command '%s' (parkctl help "
		    "lists them)\n", cmd);
		rc = 2;
	}
	parkc_close(ctl.pc);
	return (rc);
}
