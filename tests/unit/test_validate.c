/* Field formats: dates, industry codes, UTF-8 text. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "lib/lib.h"
#include "parkd.pb-c.h"

static void
test_dates(void **state)
{
	int32_t	 d;

	(void)state;
	assert_true(valid_date("2024-02-29"));
	assert_false(valid_date("2023-02-29"));
	assert_false(valid_date("1900-02-29"));
	assert_true(valid_date("2000-02-29"));
	assert_false(valid_date("2024-13-01"));
	assert_false(valid_date("2024-00-10"));
	assert_false(valid_date("2024-04-31"));
	assert_false(valid_date("2024-4-30"));
	assert_false(valid_date("2024-04-30x"));
	assert_false(valid_date(""));
	assert_int_equal(date_to_days("1970-01-01", &d), 0);
	assert_int_equal(d, 0);
	assert_int_equal(date_to_days("2024-03-01", &d), 0);
	assert_int_equal(d, 19783);
	assert_int_equal(date_to_days("1969-12-31", &d), 0);
	assert_int_equal(d, -1);
	assert_int_equal(date_to_days("2024-02-30", &d), -1);
}

static void
test_industry(void **state)
{
	(void)state;
	assert_true(valid_industry_code("I65"));
	assert_true(valid_industry_code("C3911"));
	assert_true(valid_industry_code("I651"));
	assert_false(valid_industry_code("I"));
	assert_false(valid_industry_code("I6"));
	assert_false(valid_industry_code("C39111"));
	assert_false(valid_industry_code("U65"));
	assert_false(valid_industry_code("i65"));
	assert_false(valid_industry_code("I6a"));
	assert_true(valid_industry_prefix("C"));
	assert_true(valid_industry_prefix("C27"));
	assert_false(valid_industry_prefix("Z"));
}

static void
test_utf8(void **state)
{
	(void)state;
	assert_true(valid_utf8("青岛软件创业孵化基地"));
	assert_true(valid_utf8("plain"));
	assert_false(valid_utf8("\xc3\x28"));
	assert_false(valid_utf8("\xc0\xaf"));		/* overlong */
	assert_false(valid_utf8("\xed\xa0\x80"));	/* surrogate */
	assert_false(valid_utf8("tab\there"));
	assert_false(valid_utf8("\xf4\x90\x80\x80"));	/* > U+10FFFF */
	assert_true(valid_text("名", 1, 3));
	assert_false(valid_text("名字", 1, 3));
	assert_false(valid_text("", 1, 3));
}

static void
test_in_list(void **state)
{
	static const char *const l[] = { "active", "left", NULL };
	static const char *const none[] = { NULL };

	(void)state;
	assert_true(str_in_list("active", l));
	assert_true(str_in_list("left", l));
	assert_false(str_in_list("Active", l));
	assert_false(str_in_list("activ", l));
	assert_false(str_in_list("", l));
	assert_false(str_in_list("active", none));
}

static void
test_viols(void **state)
{
	struct viols	 v = { 0 };
	int		 i;

	(void)state;
	for (i = 0; i < 10; i++)
		viols_add(&v, "park.name", "text.required", "n=%d", i);
	assert_int_equal(v.n, 10);
	assert_string_equal(v.v[9].message, "n=9");
	assert_string_equal(v.v[0].field, "park.name");
	viols_free(&v);
	assert_int_equal(v.n, 0);
}

/* The limits: ranges, the cap on one list, the date horizon. */
static void
test_limits(void **state)
{
	struct viols	 v = { 0 };
	int		 i;

	(void)state;
	assert_int_equal(viols_range(&v, "revenue", LIMIT_FEN, 0, LIMIT_FEN), 0);
	assert_int_equal(viols_range(&v, "revenue", INT64_MAX, 0, LIMIT_FEN),
	    -1);
	assert_int_equal(viols_range(&v, "jobs", -1, 0, LIMIT_COUNT), -1);
	assert_int_equal(v.n, 2);
	assert_string_equal(v.v[0].rule, "range");
	for (i = 0; i < 1000; i++)
		viols_add(&v, "update_mask", "update_mask.field", "%d", i);
	assert_int_equal(v.n, VIOLS_MAX + 1);
	assert_string_equal(v.v[VIOLS_MAX].rule, "violations.more");
	viols_free(&v);
	assert_true(valid_date("2100-12-31"));
	assert_false(valid_date("2101-01-01"));
	assert_false(valid_date("2199-01-01"));
	assert_true(valid_date("1900-01-01"));
}

/* A string field holding a NUL byte, at the top or nested. */
static void
test_pb_strings(void **state)
{
	Parkd__V1__CreateFirmRequest	 req = PARKD__V1__CREATE_FIRM_REQUEST__INIT;
	Parkd__V1__Firm			 f;
	uint8_t				 buf[256], *p;
	size_t				 n;
	const char			*bad;

	(void)state;
	parkd__v1__firm__init(&f);
	f.credit_code = "91350100M000100Y43";
	f.name = "ab\x01" "cd";
	f.industry_code = "I651";
	req.firm = &f;
	n = parkd__v1__create_firm_request__pack(&req, buf);
	assert_int_equal(pb_strings_clean(req.base.descriptor, buf, n, &bad),
	    0);
	assert_non_null(p = memchr(buf, 0x01, n));
	*p = 0;
	assert_int_equal(pb_strings_clean(req.base.descriptor, buf, n, &bad),
	    -1);
	assert_string_equal(bad, "name");
	/* bytes that are not a message at all */
	assert_int_equal(pb_strings_clean(req.base.descriptor,
	    (const uint8_t *)"\x0a\xff", 2, &bad), -1);
	assert_null(bad);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_industry),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_in_list),
		cmocka_unit_test(test_viols),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_pb_strings),
	};

	return (cmocka_run_group_tests_name("validate", tests, NULL, NULL));
}
