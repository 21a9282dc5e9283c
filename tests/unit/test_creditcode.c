/* Unified social credit codes (GB 32100-2015) and organisation codes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "lib/lib.h"

static void
test_valid(void **state)
{
	const char	*why = NULL;
	const char	*good[] = { "91512081MA62K0260E",
	    "91350100M000100Y43", "91110000100000000R" };
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (creditcode_check(good[i], &why) != 0)
			fail_msg("%s: %s", good[i], why);
	}
}

static void
test_invalid(void **state)
{
	const char	*why = NULL;

	(void)state;
	/* the example: Z is not in the alphabet */
	assert_int_equal(creditcode_check("91350100M000100Y4Z", &why), -1);
	assert_non_null(strstr(why, "never I, O, S, V, Z"));
	/* one character changed: the check digit catches it */
	assert_int_equal(creditcode_check("91512081MA62K0261E", &why), -1);
	assert_non_null(strstr(why, "check character"));
	/* wrong check character */
	assert_int_equal(creditcode_check("91512081MA62K0260F", &why), -1);
	/* lengths */
	assert_int_equal(creditcode_check("", &why), -1);
	assert_int_equal(creditcode_check("91512081MA62K0260", &why), -1);
	assert_int_equal(creditcode_check("91512081MA62K0260EE", &why), -1);
	assert_non_null(strstr(why, "18 characters"));
	/* lower case and forbidden letters */
	assert_int_equal(creditcode_check("91512081ma62k0260e", &why), -1);
	assert_int_equal(creditcode_check("91512081MA62K0I60E", &why), -1);
	assert_int_equal(creditcode_check("91512081MA62K0O60E", &why), -1);
}

static void
test_check_char_every_position(void **state)
{
	char		 code[19] = "91512081MA62K0260E";
	const char	*why;
	const char	 alpha[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
	int		 pos, k, bad = 0;

	(void)state;
	/* every single-character change in positions 1-17 is detected */
	for (pos = 0; pos < 17; pos++) {
		char saved = code[pos];

		for (k = 0; k < 31; k++) {
			if (alpha[k] == saved)
				continue;
			code[pos] = alpha[k];
			bad += creditcode_check(code, &why) != 0;
		}
		code[pos] = saved;
	}
	assert_int_equal(bad, 17 * 30);
	assert_int_equal(creditcode_check_char(code), 'E');
	assert_int_equal(creditcode_char_value('Y'), 30);
	assert_int_equal(creditcode_char_value('Z'), -1);
}

static void
test_orgcode(void **state)
{
	(void)state;
	/* embedded organisation code of a valid credit code */
	assert_int_equal(orgcode_check("MA62K0260"), 0);
	assert_int_equal(orgcode_check("MA62K0261"), -1);
	/* check value 10 is X, 11 is 0 */
	assert_int_equal(orgcode_check_char("D2143569"), 'X');
	assert_int_equal(orgcode_check("D2143569X"), 0);
	assert_int_equal(orgcode_check_char("bad!chr"), 0);
	/* credit-valid codes whose organisation code fails: warning only */
	assert_int_equal(orgcode_check("100000000"), -1);
	assert_int_equal(orgcode_check("M000100Y4"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_check_char_every_position),
		cmocka_unit_test(test_orgcode),
	};

	return (cmocka_run_group_tests_name("creditcode", tests, NULL, NULL));
}
