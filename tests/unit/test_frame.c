/* Frame codec: partial frames, oversized and zero lengths. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "lib/lib.h"

static void
test_header_roundtrip(void **state)
{
	uint8_t		 hdr[4];
	uint32_t	 n = 0;

	(void)state;
	frame_put_header(hdr, 0x01020304);
	assert_memory_equal(hdr, "\x01\x02\x03\x04", 4);
	assert_int_equal(frame_check(hdr, 4, 0x7fffffff, &n), FRAME_NEED_MORE);
	assert_int_equal(n, 0x01020304);
}

static void
test_partial_header(void **state)
{
	uint8_t		 buf[8] = { 0, 0, 0, 3, 'a', 'b', 'c', 'd' };
	uint32_t	 n = 99;
	size_t		 have;

	(void)state;
	for (have = 0; have < 4; have++)
		assert_int_equal(frame_check(buf, have, 100, &n),
		    FRAME_NEED_MORE);
	assert_int_equal(n, 99);	/* untouched until 4 bytes */
}

static void
test_partial_body(void **state)
{
	uint8_t		 buf[8] = { 0, 0, 0, 3, 'a', 'b', 'c', 'd' };
	uint32_t	 n;

	(void)state;
	assert_int_equal(frame_check(buf, 5, 100, &n), FRAME_NEED_MORE);
	assert_int_equal(frame_check(buf, 6, 100, &n), FRAME_NEED_MORE);
	assert_int_equal(frame_check(buf, 7, 100, &n), FRAME_READY);
	assert_int_equal(n, 3);
	/* extra bytes of the next frame do not matter */
	assert_int_equal(frame_check(buf, 8, 100, &n), FRAME_READY);
	assert_int_equal(n, 3);
}

static void
test_zero_length(void **state)
{
	uint8_t		 buf[4] = { 0, 0, 0, 0 };
	uint32_t	 n = 7;

	(void)state;
	assert_int_equal(frame_check(buf, 4, 100, &n), FRAME_READY);
	assert_int_equal(n, 0);
}

static void
test_oversized(void **state)
{
	uint8_t		 big[4] = { 0xff, 0xff, 0xff, 0xff };
	uint8_t		 edge[4];
	uint32_t	 n;

	(void)state;
	/* reported from the header alone, before any body arrives */
	assert_int_equal(frame_check(big, 4, 4u << 20, &n), FRAME_TOO_LARGE);
	assert_int_equal(n, 0xffffffffu);
	frame_put_header(edge, 4u << 20);
	assert_int_equal(frame_check(edge, 4, 4u << 20, &n), FRAME_NEED_MORE);
	frame_put_header(edge, (4u << 20) + 1);
	assert_int_equal(frame_check(edge, 4, 4u << 20, &n), FRAME_TOO_LARGE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_roundtrip),
		cmocka_unit_test(test_partial_header),
		cmocka_unit_test(test_partial_body),
		cmocka_unit_test(test_zero_length),
		cmocka_unit_test(test_oversized),
	};

	return (cmocka_run_group_tests_name("frame", tests, NULL, NULL));
}
