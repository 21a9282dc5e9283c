/* The decode arena: protobuf-c bounded by a budget. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/lib.h"
#include "parkd.pb-c.h"

static void
test_budget(void **state)
{
	struct arena	*a = arena_new(10000);
	void		*p;

	(void)state;
	assert_non_null(a);
	assert_non_null(p = arena_alloc(a, 100));
	memset(p, 1, 100);
	assert_null(arena_alloc(a, 20000));
	assert_true(arena_failed(a));
	arena_free(a);
}

/* Many empty sub-messages: decoding over budget fails cleanly. */
static void
test_amplification(void **state)
{
	Parkd__V1__ListParksResponse	*out;
	ProtobufCAllocator		 al;
	struct arena			*a;
	uint8_t				*buf;
	size_t				 n = 200000, i;

	(void)state;
	/* field 1 (parks), length-delimited, length 0: 2 bytes each */
	buf = malloc(n * 2);
	for (i = 0; i < n; i++) {
		buf[2 * i] = 0x0a;
		buf[2 * i + 1] = 0x00;
	}
	a = arena_new(n * 2 * 8);
	al = arena_allocator(a);
	out = parkd__v1__list_parks_response__unpack(&al, n * 2, buf);
	assert_null(out);
	assert_true(arena_failed(a));
	arena_free(a);
	/* a generous budget decodes the same input */
	a = arena_new(256u << 20);
	al = arena_allocator(a);
	out = parkd__v1__list_parks_response__unpack(&al, n * 2, buf);
	assert_non_null(out);
	assert_int_equal(out->n_parks, n);
	arena_free(a);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_amplification),
	};

	return (cmocka_run_group_tests_name("arena", tests, NULL, NULL));
}
