/*
 * Policy documents (libconfig syntax) parsed into struct policy. Every key is
 * required and checked; unknown keys are refused; errors name the line and
 * the key. Pure: the text comes in, the struct or an error goes out.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <sys/wait.h>

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <libconfig.h>

#include "domain/rules.h"

enum ptype { PT_INT, PT_I64, PT_BOOL, PT_PREFIXES, PT_WORDS };

struct pkey {
	const char	*path;
	enum ptype	 type;
	size_t		 off;
	long long	 min;
	long long	 max;
};

#define O(f)	offsetof(struct policy, f)
#define BIG	1000000000000000LL
static const struct pkey pkeys[] = {
	{ "park.require_legal_person", PT_BOOL, O(park_require_legal_person),
	    0, 1 },
	{ "park.min_staff", PT_INT, O(park_min_staff), 0, 100000 },
	{ "park.min_leading_industries", PT_INT, O(park_min_industries), 0, 32 },
	{ "park.max_leading_industries", PT_INT, O(park_max_industries), 1, 32 },
	{ "park.min_total_area", PT_I64, O(park_min_area), 0, BIG },
	{ "firm.max_registration_months", PT_INT, O(reg_months), 0, 1200 },
	{ "firm.long_registration_months", PT_INT, O(reg_months_long), 0, 1200 },
	{ "firm.long_registration_industries", PT_PREFIXES,
	    O(reg_long_industries), 0, 0 },
	{ "firm.registration_waiver_sources", PT_WORDS, O(reg_waiver_sources),
	    0, 0 },
	{ "firm.max_area", PT_I64, O(firm_max_area), 0, BIG },
	{ "firm.large_max_area", PT_I64, O(firm_max_area_large), 0, BIG },
	{ "firm.large_area_industries", PT_PREFIXES, O(large_area_industries),
	    0, 0 },
	{ "firm.backward_industries", PT_PREFIXES, O(backward_industries), 0, 0 },
	{ "firm.max_incubation_months", PT_INT, O(incub_months), 1, 1200 },
	{ "firm.long_incubation_months", PT_INT, O(incub_months_long), 1, 1200 },
	{ "firm.long_incubation_industries", PT_PREFIXES,
	    O(incub_long_industries), 0, 0 },
	{ "graduation.high_tech_certificate", PT_BOOL, O(grad_high_tech), 0, 1 },
	{ "graduation.equity_financing_fen", PT_I64, O(grad_equity_fen), 1, BIG },
	{ "graduation.revenue_two_years_fen", PT_I64, O(grad_revenue_2y_fen), 1,
	    BIG },
	{ "graduation.acquired_or_listed", PT_BOOL, O(grad_acquired_listed),
	    0, 1 },
	{ "clearing.silent_quarters", PT_INT, O(silent_quarters), 1, 40 },
	{ "notices.certificate_expiry_days", PT_INT, O(cert_warn_days), 0, 3650 },
};
#define NPKEYS	(sizeof(pkeys) / sizeof(pkeys[0]))

/* Groups that may appear (their members are checked by pkeys). */
static const char *const groups[] = { "park", "firm", "graduation",
    "clearing", "notices", NULL };

int
prefixes_match(const struct prefixes *p, const char *code)
{
	int	 i;

	for (i = 0; i < p->n; i++) {
		if (strncmp(code, p->v[i], strlen(p->v[i])) == 0)
			return (1);
	}
	return (0);
}

int
words_has(const struct prefixes *p, const char *word)
{
	int	 i;

	for (i = 0; i < p->n; i++) {
		if (strcmp(word, p->v[i]) == 0)
			return (1);
	}
	return (0);
}

static int
perr(char *err, size_t len, config_setting_t *s, const char *path,
    const char *why)
{
	if (s != NULL)
		snprintf(err, len, "policy line %d: key '%s' %s",
		    config_setting_source_line(s), path, why);
	else
		snprintf(err, len, "policy: key '%s' %s", path, why);
	return (-1);
}

static int
get_list(config_setting_t *s, const char *path, int prefixes,
    struct prefixes *out, char *err, size_t len)
{
	config_setting_t	*e;
	const char		*v;
	int			 i;

	if (!config_setting_is_array(s) && !config_setting_is_list(s))
		return (perr(err, len, s, path, "must be a list of strings"));
	out->n = 0;
	for (i = 0; (e = config_setting_get_elem(s, (unsigned)i)) != NULL; i++) {
		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return (perr(err, len, s, path, "must be a list of "
			    "strings"));
		v = config_setting_get_string(e);
		if (i >= PREFIX_MAX || strlen(v) >= PREFIX_LEN)
			return (perr(err, len, s, path, "has too many or too "
			    "long entries"));
		if (prefixes && !valid_industry_prefix(v)) {
			char why[96];

			snprintf(why, sizeof(why), "entry '%s' is not a GB/T "
			    "4754-2017 code or prefix", v);
			return (perr(err, len, s, path, why));
		}
		snprintf(out->v[out->n++], PREFIX_LEN, "%s", v);
	}
	return (0);
}

static int
get_key(config_t *lc, struct policy *p, const struct pkey *k, char *err,
    size_t len)
{
	config_setting_t	*s = config_lookup(lc, k->path);
	long long		 v;
	char			*base = (char *)p + k->off;

	if (s == NULL)
		return (0);		/* reported after the present keys */
	switch (k->type) {
	case PT_BOOL:
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			return (perr(err, len, s, k->path, "must be true or "
			    "false"));
		*(int *)base = config_setting_get_bool(s);
		return (0);
	case PT_INT:
	case PT_I64:
		if (config_setting_type(s) != CONFIG_TYPE_INT &&
		    config_setting_type(s) != CONFIG_TYPE_INT64)
			return (perr(err, len, s, k->path, "must be an "
			    "integer"));
		v = config_setting_get_int64(s);
		if (v < k->min || v > k->max)
			return (perr(err, len, s, k->path, "is out of range"));
		if (k->type == PT_INT)
			*(int *)base = (int)v;
		else
			*(int64_t *)base = v;
		return (0);
	case PT_PREFIXES:
	case PT_WORDS:
		return (get_list(s, k->path, k->type == PT_PREFIXES,
		    (struct prefixes *)base, err, len));
	}
	return (0);
}

/* Refuse any setting that is not a known group or key. */
static int
check_unknown(config_setting_t *root, char *err, size_t len)
{
	config_setting_t	*g, *s;
	char			 path[128];
	size_t			 k;
	int			 i, j, known;

	for (i = 0; (g = config_setting_get_elem(root, (unsigned)i)); i++) {
		const char *gn = config_setting_name(g);

		if (strcmp(gn, "name") == 0 || strcmp(gn, "years") == 0 ||
		    strcmp(gn, "evaluation") == 0)
			continue;
		for (known = 0, k = 0; groups[k] != NULL; k++)
			known |= strcmp(groups[k], gn) == 0;
		if (!known || !config_setting_is_group(g))
			return (perr(err, len, g, gn, "is not a policy "
			    "group or key"));
		for (j = 0; (s = config_setting_get_elem(g, (unsigned)j)); j++) {
			snprintf(path, sizeof(path), "%s.%s", gn,
			    config_setting_name(s));
			for (known = 0, k = 0; k < NPKEYS; k++)
				known |= strcmp(pkeys[k].path, path) == 0;
			if (!known)
				return (perr(err, len, s, path, "is unknown"));
		}
	}
	return (0);
}

static int
get_header(config_t *lc, struct policy *p, char *err, size_t len)
{
	config_setting_t	*s;
	const char		*name;

	if (!config_lookup_string(lc, "name", &name) || strlen(name) == 0 ||
	    strlen(name) >= sizeof(p->name) || !valid_utf8(name))
		return (perr(err, len, config_lookup(lc, "name"), "name",
		    "must be a string of 1-63 bytes"));
	snprintf(p->name, sizeof(p->name), "%s", name);
	s = config_lookup(lc, "years");
	if (s == NULL || config_setting_length(s) != 2 ||
	    config_setting_type(config_setting_get_elem(s, 0)) !=
	    CONFIG_TYPE_INT ||
	    config_setting_type(config_setting_get_elem(s, 1)) !=
	    CONFIG_TYPE_INT)
		return (perr(err, len, s, "years", "must be [first, last] "
		    "years"));
	p->year_from = config_setting_get_int_elem(s, 0);
	p->year_to = config_setting_get_int_elem(s, 1);
	if (p->year_from < 2000 || p->year_to > 2100 ||
	    p->year_from > p->year_to)
		return (perr(err, len, s, "years", "must be 2000..2100, first "
		    "<= last"));
	return (0);
}

/* Cross-key sanity: values that only make sense together. */
static int
check_coherent(const struct policy *p, char *err, size_t len)
{
	if (p->park_min_industries > p->park_max_industries)
		return (perr(err, len, NULL, "park.min_leading_industries",
		    "exceeds park.max_leading_industries"));
	if (p->reg_months_long < p->reg_months)
		return (perr(err, len, NULL, "firm.long_registration_months",
		    "is below firm.max_registration_months"));
	if (p->incub_months_long < p->incub_months)
		return (perr(err, len, NULL, "firm.long_incubation_months",
		    "is below firm.max_incubation_months"));
	if (p->firm_max_area_large < p->firm_max_area)
		return (perr(err, len, NULL, "firm.large_max_area",
		    "is below firm.max_area"));
	return (0);
}

/*
 * libconfig 1.5 leaks its string buffer when a syntax error follows a
 * string that runs over a line end (found by fuzz_policy). Policy strings
 * never need to: refuse such a document before libconfig sees it.
 */
static int
strings_ok(const char *s, char *err, size_t len)
{
	int	 line = 1, in = 0, start = 0;

	for (; *s != '\0'; s++) {
		if (*s == '\n')
			line++;
		if (in) {
			if (*s == '\\' && s[1] != '\0' && s[1] != '\n')
				s++;
			else if (*s == '"')
				in = 0;
			else if (*s == '\n')
				break;
			continue;
		}
		if (*s == '"') {
			in = 1;
			start = line;
		} else if (*s == '#' || (*s == '/' && s[1] == '/')) {
			while (s[1] != '\0' && s[1] != '\n')
				s++;
		} else if (*s == '/' && s[1] == '*') {
			for (s += 2; *s != '\0' && !(*s == '*' && s[1] == '/');
			    s++)
				line += *s == '\n';
			if (*s == '\0')
				break;
			s++;
		}
	}
	if (!in)
		return (0);
	snprintf(err, len, "policy line %d: a string is not closed on its line",
	    start);
	return (-1);
}

/* Parse text into *p; -1 with a message in err on any problem. */
int
policy_parse(const char *text, struct policy *p, char *err, size_t len)
{
	config_t	 lc;
	size_t		 i;
	int		 rc = 0;

	memset(p, 0, sizeof(*p));
	if (strings_ok(text, err, len) != 0)
		return (-1);
	config_init(&lc);
	if (config_read_string(&lc, text) != CONFIG_TRUE) {
		snprintf(err, len, "policy line %d: %s", config_error_line(&lc),
		    config_error_text(&lc));
		config_destroy(&lc);
		return (-1);
	}
	rc = check_unknown(config_root_setting(&lc), err, len);
	if (rc == 0)
		rc = get_header(&lc, p, err, len);
	for (i = 0; rc == 0 && i < NPKEYS; i++)
		rc = get_key(&lc, p, &pkeys[i], err, len);
	for (i = 0; rc == 0 && i < NPKEYS; i++) {
		if (config_lookup(&lc, pkeys[i].path) == NULL)
			rc = perr(err, len, NULL, pkeys[i].path, "is missing");
	}
	if (rc == 0)
		rc = check_coherent(p, err, len);
	if (rc == 0)
		rc = eval_policy_parse(config_lookup(&lc, "evaluation"),
		    &p->eval, 1, err, len);
	config_destroy(&lc);
	return (rc);
}

/*
 * policy_parse in a short-lived child: libconfig 1.5 leaks its token buffer
 * when a syntax error follows a string (no bison destructor; found by
 * fuzz_policy), so untrusted documents are parsed where that cannot add
 * up. The child hands back the struct or the message through a pipe.
 */
int
policy_parse_isolated(const char *text, struct policy *p, char *err,
    size_t len)
{
	struct {
		int		 rc;
		char		 err[256];
		struct policy	 p;
	}		*out;
	size_t		 got = 0;
	ssize_t		 n;
	pid_t		 pid;
	int		 fd[2], st, rc = -1;

	if ((out = calloc(1, sizeof(*out))) == NULL || pipe(fd) != 0) {
		free(out);
		return (policy_parse(text, p, err, len));
	}
	if ((pid = fork()) == -1) {
		close(fd[0]);
		close(fd[1]);
		free(out);
		return (policy_parse(text, p, err, len));
	}
	if (pid == 0) {
		close(fd[0]);
		out->rc = policy_parse(text, &out->p, out->err,
		    sizeof(out->err));
		for (got = 0; got < sizeof(*out); got += (size_t)n) {
			n = write(fd[1], (char *)out + got, sizeof(*out) - got);
			if (n <= 0)
				_exit(1);
		}
		_exit(0);
	}
	close(fd[1]);
	while (got < sizeof(*out)) {
		n = read(fd[0], (char *)out + got, sizeof(*out) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd[0]);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	if (got == sizeof(*out)) {
		rc = out->rc;
		if (rc == 0)
			*p = out->p;
		else
			snprintf(err, len, "%s", out->err);
	} else
		snprintf(err, len, "policy: the document could not be checked");
	free(out);
	return (rc);
}
