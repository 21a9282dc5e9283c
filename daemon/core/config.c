/*
 * Configuration: a table of keys (type, default, range, reloadable, help),
 * read with libconfig into an immutable snapshot. Errors name the file, the
 * line and the key; the caller keeps the previous snapshot on failure.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "core/core.h"

/* CT_STRLIST: a list of strings, kept joined by newlines ("" for none). */
enum ctype { CT_STR, CT_PATH, CT_INT, CT_LISTEN, CT_STRLIST };

struct ckey {
	const char	*name;
	enum ctype	 type;
	size_t		 off;
	const char	*def_str;	/* NULL for a required string */
	int		 def_int;
	int		 min;
	int		 max;
	int		 reloadable;
	const char	*help;
};

#define OFF(f)	offsetof(struct config, f)
static const struct ckey keys[] = {
	{ "listen", CT_LISTEN, OFF(listen_host), "127.0.0.1:7443", 0, 0, 0,
	    0, "address:port of the RPC listener" },
	{ "tls_cert", CT_PATH, OFF(tls_cert), NULL, 0, 0, 0, 1,
	    "server certificate (PEM)" },
	{ "tls_key", CT_PATH, OFF(tls_key), NULL, 0, 0, 0, 1,
	    "server private key (PEM)" },
	{ "tls_ca", CT_PATH, OFF(tls_ca), NULL, 0, 0, 0, 1,
	    "CA that signs client certificates (PEM)" },
	{ "tls_min_version", CT_STR, OFF(tls_min_version), "1.3", 0, 0, 0, 1,
	    "lowest TLS version accepted: \"1.3\" or \"1.2\"" },
	{ "database", CT_STR, OFF(database), NULL, 0, 0, 0, 0,
	    "libpq connection string (use hostaddr= or a socket directory)" },
	{ "pool_size", CT_INT, OFF(pool_size), NULL, 8, 1, 256, 0,
	    "PostgreSQL connections for writes and reads in a transaction" },
	{ "slow_request_ms", CT_INT, OFF(slow_request_ms), NULL, 1000, 0,
	    3600000, 1, "log a request slower than this (0: none)" },
	{ "read_replicas", CT_STRLIST, OFF(read_replicas), "", 0, 0, 0, 0,
	    "libpq connection strings of hot standbys for reads (list)" },
	{ "replica_max_lag_ms", CT_INT, OFF(replica_max_lag_ms), NULL, 5000,
	    0, 3600000, 1, "a standby further behind than this serves no "
	    "reads" },
	{ "read_pool_size", CT_INT, OFF(read_pool_size), NULL, 2, 0, 64, 0,
	    "pipelined PostgreSQL connections shared by reads (0: none)" },
	{ "read_plan_cache_mode", CT_STR, OFF(read_plan_cache_mode),
	    "auto", 0, 0, 0, 0, "plan_cache_mode of the "
	    "pipelined read connections and the replicas': force_generic_plan "
	    "(one plan per statement, planned once), auto or "
	    "force_custom_plan" },
	{ "push_pool_size", CT_INT, OFF(push_pool_size), NULL, 2, 1, 256, 0,
	    "PostgreSQL connections for pushes (sync), apart from the pool" },
	{ "push_per_principal", CT_INT, OFF(push_per_principal), NULL, 1, 1,
	    256, 1, "pushes one principal may have open at once" },
	{ "db_queue_max", CT_INT, OFF(db_queue_max), NULL, 1024, 1, 1000000, 0,
	    "requests that may wait for a pool connection" },
	{ "statement_timeout_ms", CT_INT, OFF(statement_timeout_ms), NULL,
	    30000, 100, 3600000, 0, "PostgreSQL statement_timeout" },
	{ "query_timeout_ms", CT_INT, OFF(query_timeout_ms), NULL, 35000, 100,
	    3600000, 0, "parkd's own deadline for a statement (and for a "
	    "request waiting for a connection): past it the connection is "
	    "dropped and the request gets UNAVAILABLE" },
	{ "max_connections", CT_INT, OFF(max_connections), NULL, 1000, 1,
	    100000, 1, "client connections accepted at once" },
	{ "max_frame_size", CT_INT, OFF(max_frame_size), NULL, 4194304, 64,
	    67108864, 1, "largest frame accepted, bytes" },
	{ "evidence_max_kb", CT_INT, OFF(evidence_max_kb), NULL, 3072, 1,
	    65536, 1, "largest evidence file of a declaration, KiB (a frame "
	    "must hold it: keep it under max_frame_size)" },
	{ "declaration_evidence_max_mb", CT_INT,
	    OFF(declaration_evidence_max_mb), NULL, 20, 1, 4096, 1,
	    "evidence of one declaration, all files, MiB" },
	{ "max_inflight", CT_INT, OFF(max_inflight), NULL, 32, 1, 4096, 1,
	    "requests in flight per connection before reading stops" },
	{ "decode_budget_factor", CT_INT, OFF(decode_budget_factor), NULL, 8,
	    2, 64, 1, "decode memory allowed per request, x frame size" },
	{ "max_decode_memory_mb", CT_INT, OFF(max_decode_memory_mb), NULL, 512,
	    16, 65536, 1, "decoded requests held at once, all connections, MiB" },
	{ "max_handshakes", CT_INT, OFF(max_handshakes), NULL, 64, 1, 100000,
	    1, "connections still in the TLS handshake; past it the oldest is "
	    "dropped for the new one" },
	{ "max_per_address", CT_INT, OFF(max_per_address), NULL, 256, 1,
	    100000, 1, "connections from one IP address" },
	{ "handshake_timeout", CT_INT, OFF(handshake_timeout), NULL, 10, 1,
	    3600, 1, "seconds to finish the TLS handshake, and then to be "
	    "answered as a registered principal" },
	{ "idle_timeout", CT_INT, OFF(idle_timeout), NULL, 300, 1, 86400, 1,
	    "seconds a connection may sit idle" },
	{ "read_timeout", CT_INT, OFF(read_timeout), NULL, 30, 1, 3600, 1,
	    "seconds to finish sending a frame once it began" },
	{ "shutdown_timeout", CT_INT, OFF(shutdown_timeout), NULL, 30, 1, 3600,
	    1, "seconds SIGTERM waits for in-flight requests" },
	{ "auth_cache_seconds", CT_INT, OFF(auth_cache_seconds), NULL, 5, 0,
	    3600, 1, "seconds a connection reuses its principal lookup" },
	{ "log_level", CT_STR, OFF(log_level), "info", 0, 0, 0, 1,
	    "error, warn, info or debug" },
	{ "http_listen", CT_STR, OFF(http_listen), "127.0.0.1:7480", 0, 0, 0,
	    0, "address:port for GET /healthz and /metrics (\"\" for none)" },
	{ "policy_file", CT_PATH, OFF(policy_file), "", 0, 0, 0, 1,
	    "policy document stored and activated when its content is new "
	    "(\"\" for none)" },
};
#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

static char **
str_at(struct config *c, const struct ckey *k)
{
	return ((char **)((char *)c + k->off));
}

static int *
int_at(struct config *c, const struct ckey *k)
{
	return ((int *)((char *)c + k->off));
}

static char *
resolve_path(const char *cfgpath, const char *p)
{
	const char	*slash;
	char		*out;

	if (p[0] == '/' || (slash = strrchr(cfgpath, '/')) == NULL)
		return (strdup(p));
	if (asprintf(&out, "%.*s/%s", (int)(slash - cfgpath), cfgpath, p) == -1)
		return (NULL);
	return (out);
}

static int
set_listen(struct config *c, const char *v)
{
	const char	*colon = strrchr(v, ':');
	char		*end;
	long		 port;

	if (colon == NULL || colon == v)
		return (-1);
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || errno != 0 || port < 1 || port > 65535)
		return (-1);
	if ((c->listen_host = strndup(v, (size_t)(colon - v))) == NULL)
		return (-1);
	c->listen_port = (int)port;
	return (0);
}

static void
config_free(struct config *c)
{
	size_t	 i;

	for (i = 0; i < NKEYS; i++) {
		if (keys[i].type != CT_INT)
			free(*str_at(c, &keys[i]));
	}
	free(c->path);
	free(c);
}

static int
set_defaults(struct config *c)
{
	size_t	 i;

	for (i = 0; i < NKEYS; i++) {
		const struct ckey *k = &keys[i];

		if (k->type == CT_INT)
			*int_at(c, k) = k->def_int;
		else if (k->type == CT_LISTEN) {
			if (set_listen(c, k->def_str) != 0)
				return (-1);
		} else if (k->def_str != NULL &&
		    (*str_at(c, k) = strdup(k->def_str)) == NULL)
			return (-1);
	}
	return (0);
}

static const struct ckey *
find_key(const char *name)
{
	size_t	 i;

	for (i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].name, name) == 0)
			return (&keys[i]);
	}
	return (NULL);
}

/* A list of strings, joined by newlines; NULL, or why it was refused. */
static const char *
apply_list(struct config *c, const struct ckey *k, config_setting_t *s)
{
	config_setting_t	*e;
	char			*out = NULL, *old;
	const char		*v;
	int			 i;

	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST)
		return ("must be a list of strings, [\"...\", ...]");
	for (i = 0; (e = config_setting_get_elem(s, (unsigned)i)) != NULL;
	    i++) {
		if (config_setting_type(e) != CONFIG_TYPE_STRING ||
		    *(v = config_setting_get_string(e)) == '\0' ||
		    strchr(v, '\n') != NULL) {
			free(out);
			return ("every element must be a non-empty string");
		}
		old = out;
		if (asprintf(&out, "%s%s%s", old ? old : "", old ? "\n" : "",
		    v) == -1) {
			free(old);
			return ("out of memory");
		}
		free(old);
	}
	free(*str_at(c, k));
	*str_at(c, k) = out != NULL ? out : strdup("");
	return (*str_at(c, k) == NULL ? "out of memory" : NULL);
}

/* Apply one setting; NULL on success, else why it was refused. */
static const char *
apply_setting(struct config *c, const struct ckey *k, config_setting_t *s)
{
	const char	*v;
	long long	 n;
	char		**dst;

	if (k->type == CT_INT) {
		if (config_setting_type(s) != CONFIG_TYPE_INT &&
		    config_setting_type(s) != CONFIG_TYPE_INT64)
			return ("must be an integer");
		n = config_setting_get_int64(s);
		if (n < k->min || n > k->max)
			return ("out of range");
		*int_at(c, k) = (int)n;
		return (NULL);
	}
	if (k->type == CT_STRLIST)
		return (apply_list(c, k, s));
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return ("must be a string");
	v = config_setting_get_string(s);
	if (k->type == CT_LISTEN) {
		free(c->listen_host);
		c->listen_host = NULL;
		return (set_listen(c, v) == 0 ? NULL :
		    "must be address:port with a port of 1-65535");
	}
	dst = str_at(c, k);
	free(*dst);
	*dst = k->type == CT_PATH && *v != '\0' ? resolve_path(c->path, v) :
	    strdup(v);
	return (*dst == NULL ? "out of memory" : NULL);
}

/* Values that are well-typed but still wrong, and required keys. */
static int
check_values(struct config *c, char **cause)
{
	size_t	 i;

	for (i = 0; i < NKEYS; i++) {
		if (keys[i].type != CT_INT && *str_at(c, &keys[i]) == NULL &&
		    keys[i].type != CT_LISTEN) {
			asprintf(cause, "%s: missing required key '%s' (%s)",
			    c->path, keys[i].name, keys[i].help);
			return (-1);
		}
	}
	if (log_level_parse(c->log_level) < 0) {
		asprintf(cause, "%s: key 'log_level': '%s' is not one of "
		    "error, warn, info, debug", c->path, c->log_level);
		return (-1);
	}
	if (strcmp(c->read_plan_cache_mode, "force_generic_plan") != 0 &&
	    strcmp(c->read_plan_cache_mode, "auto") != 0 &&
	    strcmp(c->read_plan_cache_mode, "force_custom_plan") != 0) {
		asprintf(cause, "%s: key 'read_plan_cache_mode': '%s' is not "
		    "one of force_generic_plan, auto, force_custom_plan",
		    c->path, c->read_plan_cache_mode);
		return (-1);
	}
	if (strcmp(c->tls_min_version, "1.3") != 0 &&
	    strcmp(c->tls_min_version, "1.2") != 0) {
		asprintf(cause, "%s: key 'tls_min_version': '%s' is not "
		    "\"1.3\" or \"1.2\"", c->path, c->tls_min_version);
		return (-1);
	}
	return (0);
}

static int
read_settings(struct config *c, config_t *lc, char **cause)
{
	config_setting_t	*root = config_root_setting(lc), *s;
	const struct ckey	*k;
	const char		*why;
	int			 i;

	for (i = 0; (s = config_setting_get_elem(root, i)) != NULL; i++) {
		const char *name = config_setting_name(s);

		if ((k = find_key(name)) == NULL) {
			asprintf(cause, "%s:%d: unknown key '%s'", c->path,
			    config_setting_source_line(s), name);
			return (-1);
		}
		if ((why = apply_setting(c, k, s)) != NULL) {
			asprintf(cause, "%s:%d: key '%s' %s (%s)", c->path,
			    config_setting_source_line(s), name, why, k->help);
			return (-1);
		}
	}
	return (0);
}

/* Load a snapshot from path; NULL with *cause set on any error. */
struct config *
config_load(const char *path, char **cause)
{
	struct config	*c;
	config_t	 lc;
	int		 ok = 0;

	*cause = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->path = strdup(path)) == NULL || set_defaults(c) != 0) {
		if (c != NULL)
			config_free(c);
		asprintf(cause, "%s: out of memory", path);
		return (NULL);
	}
	config_init(&lc);
	if (config_read_file(&lc, path) != CONFIG_TRUE) {
		if (config_error_type(&lc) == CONFIG_ERR_FILE_IO)
			asprintf(cause, "%s: cannot read file", path);
		else
			asprintf(cause, "%s:%d: %s", path,
			    config_error_line(&lc), config_error_text(&lc));
	} else if (read_settings(c, &lc, cause) == 0 &&
	    check_values(c, cause) == 0)
		ok = 1;
	config_destroy(&lc);
	if (!ok) {
		config_free(c);
		return (NULL);
	}
	c->refs = 1;
	return (c);
}

void
config_unref(struct config *c)
{
	if (c != NULL && --c->refs == 0)
		config_free(c);
}

/* Print the effective configuration (parkd --check-config). */
void
config_print(const struct config *c, FILE *f)
{
	size_t	 i;

	for (i = 0; i < NKEYS; i++) {
		const struct ckey *k = &keys[i];

		if (k->type == CT_INT)
			fprintf(f, "%s = %d;\n", k->name,
			    *int_at((struct config *)c, k));
		else if (k->type == CT_LISTEN)
			fprintf(f, "%s = \"%s:%d\";\n", k->name,
			    c->listen_host, c->listen_port);
		else if (strcmp(k->name, "database") == 0)
			fprintf(f, "%s = \"(set)\";\n", k->name);
		else if (k->type == CT_STRLIST)
			fprintf(f, "%s = [ %s ];\n", k->name,
			    **str_at((struct config *)c, k) ? "(set)" : "");
		else
			fprintf(f, "%s = \"%s\";\n", k->name,
			    *str_at((struct config *)c, k));
	}
}

/* 0 if b differs from a only in reloadable keys, else -1 naming one. */
int
config_diff_unreloadable(const struct config *a, const struct config *b,
    char **cause)
{
	size_t	 i;
	int	 same;

	for (i = 0; i < NKEYS; i++) {
		const struct ckey *k = &keys[i];

		if (k->reloadable)
			continue;
		if (k->type == CT_INT)
			same = *int_at((struct config *)a, k) ==
			    *int_at((struct config *)b, k);
		else if (k->type == CT_LISTEN)
			same = strcmp(a->listen_host, b->listen_host) == 0 &&
			    a->listen_port == b->listen_port;
		else
			same = strcmp(*str_at((struct config *)a, k),
			    *str_at((struct config *)b, k)) == 0;
		if (!same) {
			asprintf(cause, "key '%s' changed but needs a restart",
			    k->name);
			return (-1);
		}
	}
	return (0);
}
