/* Binary arrays (lib/pgbin.c): the bytes PostgreSQL's array_recv reads. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "lib/lib.h"

static void
test_int8_array(void **state)
{
	static const unsigned char want[] = {
		0, 0, 0, 1,		/* one dimension */
		0, 0, 0, 0,		/* no nulls */
		0, 0, 0, 20,		/* int8 */
		0, 0, 0, 2,		/* two elements */
		0, 0, 0, 1,		/* from 1 */
		0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0x01, 0x02,
		0, 0, 0, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
	};
	struct pgbin	 b;

	(void)state;
	memset(&b, 0, sizeof(b));
	pgbin_i64(&b, 0x102);
	pgbin_i64(&b, -2);
	assert_int_equal(pgbin_end(&b), 0);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.b, want, sizeof(want));
	pgbin_free(&b);
	assert_null(b.b);
}

static void
test_int4_and_bool(void **state)
{
	static const unsigned char i4[] = {
		0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 23, 0, 0, 0, 1, 0, 0, 0, 1,
		0, 0, 0, 4, 0x80, 0, 0, 0,
	};
	static const unsigned char bo[] = {
		0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 3, 0, 0, 0, 1,
		0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1,
	};
	struct pgbin	 a, b;
	int		 i;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	pgbin_i32(&a, INT32_MIN);
	assert_int_equal(pgbin_end(&a), 0);
	assert_memory_equal(a.b, i4, sizeof(i4));
	pgbin_bool(&b, 7);
	pgbin_bool(&b, 0);
	pgbin_bool(&b, 1);
	assert_int_equal(pgbin_end(&b), 0);
	assert_int_equal(b.len, sizeof(bo));
	assert_memory_equal(b.b, bo, sizeof(bo));
	/* grows past its first buffer, the count follows */
	for (i = 0; i < 5000; i++)
		pgbin_i32(&a, i);
	assert_int_equal(pgbin_end(&a), 0);
	assert_int_equal(a.n, 5001);
	assert_memory_equal(a.b + 12, "\0\0\x13\x89", 4);
	pgbin_free(&a);
	pgbin_free(&b);
}

static void
test_empty_refused(void **state)
{
	struct pgbin	 b;

	(void)state;
	memset(&b, 0, sizeof(b));
	assert_int_equal(pgbin_end(&b), -1);
	pgbin_free(&b);
}

static void
test_text_integers(void **state)
{
	int64_t	 v[4];

	(void)state;
	assert_int_equal(pgtext_i64s("{}", v, 4), 0);
	assert_int_equal(pgtext_i64s("{7}", v, 4), 1);
	assert_int_equal(v[0], 7);
	assert_int_equal(pgtext_i64s("{1,-2,NULL,9223372036854775807}", v, 4),
	    4);
	assert_int_equal(v[1], -2);
	assert_int_equal(v[2], 0);
	assert_int_equal(v[3], INT64_MAX);
	/* more than max, or not an array of integers as printed */
	assert_int_equal(pgtext_i64s("{1,2,3,4,5}", v, 4), -1);
	assert_int_equal(pgtext_i64s("", v, 4), -1);
	assert_int_equal(pgtext_i64s("{", v, 4), -1);
	assert_int_equal(pgtext_i64s("{1,}", v, 4), -1);
	assert_int_equal(pgtext_i64s("{1}x", v, 4), -1);
	assert_int_equal(pgtext_i64s("{}x", v, 4), -1);
	assert_int_equal(pgtext_i64s("{a}", v, 4), -1);
	assert_int_equal(pgtext_i64s("{ 1}", v, 4), -1);
	assert_int_equal(pgtext_i64s("{1;2}", v, 4), -1);
	assert_int_equal(pgtext_i64s("{99999999999999999999}", v, 4), -1);
	assert_int_equal(pgtext_i64s("{{1}}", v, 4), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_int8_array),
		cmocka_unit_test(test_int4_and_bool),
		cmocka_unit_test(test_empty_refused),
		cmocka_unit_test(test_text_integers),
	};

	return (cmocka_run_group_tests_name("pgbin", tests, NULL, NULL));
}
