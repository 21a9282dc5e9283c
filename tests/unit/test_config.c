/* Configuration parsing: errors name the file, the line and the key. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/core.h"

static char	 path[] = "/tmp/parkd-test-config-XXXXXX";

static const char base[] =
    "tls_cert = \"s.crt\";\ntls_key = \"s.key\";\ntls_ca = \"ca.crt\";\n"
    "database = \"hostaddr=127.0.0.1 dbname=parkd\";\n";

static struct config *
load(const char *extra, char **cause)
{
	FILE	*f = fopen(path, "w");

	assert_non_null(f);
	fprintf(f, "%s%s", base, extra);
	fclose(f);
	*cause = NULL;
	return (config_load(path, cause));
}

static void
expect_error(const char *extra, const char *want)
{
	char		*cause;
	struct config	*c = load(extra, &cause);

	assert_null(c);
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		fail_msg("cause '%s' lacks '%s'", cause, want);
	assert_non_null(strstr(cause, path));
	free(cause);
}

static void
test_defaults(void **state)
{
	char		*cause;
	struct config	*c = load("", &cause);

	(void)state;
	assert_non_null(c);
	assert_string_equal(c->listen_host, "127.0.0.1");
	assert_int_equal(c->listen_port, 7443);
	assert_int_equal(c->max_frame_size, 4 << 20);
	assert_string_equal(c->tls_min_version, "1.3");
	assert_string_equal(c->read_plan_cache_mode, "auto");
	/* relative paths are relative to the config file */
	assert_string_equal(c->tls_cert, "/tmp/s.crt");
	config_unref(c);
}

static void
test_values(void **state)
{
	char		*cause;
	struct config	*c = load("listen = \"127.0.0.2:9000\";\n"
	    "pool_size = 8;\nlog_level = \"debug\";\n", &cause);

	(void)state;
	assert_non_null(c);
	assert_string_equal(c->listen_host, "127.0.0.2");
	assert_int_equal(c->listen_port, 9000);
	assert_int_equal(c->pool_size, 8);
	config_unref(c);
}

static void
test_unknown_key(void **state)
{
	(void)state;
	expect_error("pool_sise = 3;\n", ":5: unknown key 'pool_sise'");
}

static void
test_bad_type(void **state)
{
	(void)state;
	expect_error("pool_size = \"four\";\n", ":5: key 'pool_size' must be "
	    "an integer");
	expect_error("\nlog_level = 3;\n", ":6: key 'log_level' must be a "
	    "string");
}

static void
test_bad_range(void **state)
{
	(void)state;
	expect_error("max_frame_size = 10;\n", ":5: key 'max_frame_size' out "
	    "of range");
	expect_error("listen = \"127.0.0.1:99999\";\n", "key 'listen'");
	expect_error("listen = \"nocolon\";\n", "key 'listen'");
	expect_error("log_level = \"loud\";\n", "'log_level': 'loud'");
	expect_error("tls_min_version = \"1.1\";\n", "tls_min_version");
	expect_error("read_plan_cache_mode = \"generic\";\n",
	    "'read_plan_cache_mode': 'generic' is not one of");
}

static void
test_syntax(void **state)
{
	(void)state;
	expect_error("pool_size = ;\n", ":5: syntax error");
}

static void
test_missing(void **state)
{
	char		*cause;
	FILE		*f = fopen(path, "w");
	struct config	*c;

	(void)state;
	fprintf(f, "tls_cert = \"a\";\n");
	fclose(f);
	assert_null(c = config_load(path, &cause));
	assert_non_null(strstr(cause, "missing required key 'tls_key'"));
	free(cause);
	assert_null(config_load("/nonexistent/parkd.conf", &cause));
	assert_non_null(strstr(cause, "cannot read file"));
	free(cause);
}

static void
test_reload_diff(void **state)
{
	char		*cause;
	struct config	*a = load("", &cause), *b;

	(void)state;
	b = load("idle_timeout = 9;\n", &cause);
	assert_int_equal(config_diff_unreloadable(a, b, &cause), 0);
	config_unref(b);
	b = load("pool_size = 9;\n", &cause);
	assert_int_equal(config_diff_unreloadable(a, b, &cause), -1);
	assert_non_null(strstr(cause, "pool_size"));
	free(cause);
	config_unref(b);
	config_unref(a);
}

static int
setup(void **state)
{
	int	 fd = mkstemp(path);

	(void)state;
	if (fd == -1)
		return (-1);
	close(fd);
	return (0);
}

static int
teardown(void **state)
{
	(void)state;
	unlink(path);
	return (0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_bad_type),
		cmocka_unit_test(test_bad_range),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_reload_diff),
	};

	log_setlevel(LOG_LVL_ERR);
	return (cmocka_run_group_tests_name("config", tests, setup, teardown));
}
