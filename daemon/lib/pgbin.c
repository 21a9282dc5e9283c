/*
 * One-dimensional PostgreSQL arrays in the binary format of array_send,
 * for a statement parameter sent in binary: no text to write here and
 * none for PostgreSQL to parse. The header (dimensions, no nulls, the
 * element type, the length, lower bound 1), then each element as a 4-byte
 * length and its big-endian value. Integers and booleans only. A failed
 * allocation is kept (oom) and reported by pgbin_end.
 *
 * And the way back for integers in text: pgtext_i64s reads a result's
 * bigint[] or integer[] column as PostgreSQL prints it ("{1,-2,NULL}").
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib.h"

#define PGBIN_HEADER	20
#define PGBIN_DIM_AT	12

static void
pb_put(struct pgbin *b, const void *p, size_t n)
{
	unsigned char	*nb;
	size_t		 cap;

	if (b->oom)
		return;
	if (b->len + n > b->cap) {
		cap = b->cap ? b->cap : 1024;
		while (cap < b->len + n)
			cap *= 2;
		if ((nb = realloc(b->b, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->b = nb;
		b->cap = cap;
	}
	memcpy(b->b + b->len, p, n);
	b->len += n;
}

static void
pb_be(unsigned char *dst, uint64_t v, int bytes)
{
	int	 i;

	for (i = bytes - 1; i >= 0; i--, v >>= 8)
		dst[i] = (unsigned char)(v & 0xff);
}

static void
pb_elem(struct pgbin *b, uint64_t v, int bytes)
{
	unsigned char	 e[12];

	if (b->len == 0) {		/* the header first */
		unsigned char h[PGBIN_HEADER];

		pb_be(h, 1, 4);			/* one dimension */
		pb_be(h + 4, 0, 4);		/* no nulls */
		pb_be(h + 8, b->oid, 4);
		pb_be(h + PGBIN_DIM_AT, 0, 4);	/* its length, at the end */
		pb_be(h + 16, 1, 4);		/* lower bound */
		pb_put(b, h, sizeof(h));
	}
	pb_be(e, (uint64_t)bytes, 4);
	pb_be(e + 4, v, bytes);
	pb_put(b, e, 4 + (size_t)bytes);
	b->n++;
}

void
pgbin_i64(struct pgbin *b, int64_t v)
{
	b->oid = PGBIN_INT8;
	pb_elem(b, (uint64_t)v, 8);
}

void
pgbin_i32(struct pgbin *b, int32_t v)
{
	b->oid = PGBIN_INT4;
	pb_elem(b, (uint64_t)(uint32_t)v, 4);
}

void
pgbin_bool(struct pgbin *b, int v)
{
	b->oid = PGBIN_BOOL;
	pb_elem(b, v ? 1 : 0, 1);
}

/*
 * The array is complete: its length goes into the header. 0, or -1 if it
 * is empty (PostgreSQL's empty array has no dimension: not needed here)
 * or memory ran out on the way.
 */
int
pgbin_end(struct pgbin *b)
{
	if (b->oom || b->n == 0 || b->n > INT32_MAX)
		return (-1);
	pb_be(b->b + PGBIN_DIM_AT, (uint64_t)b->n, 4);
	return (0);
}

void
pgbin_free(struct pgbin *b)
{
	free(b->b);
	memset(b, 0, sizeof(*b));
}

/*
 * The integers of a one-dimensional array printed by PostgreSQL, "{1,-2}",
 * into out (at most max); a NULL element reads as 0. The count, or -1 if s
 * is not such an array or has more than max elements.
 */
int
pgtext_i64s(const char *s, int64_t *out, size_t max)
{
	size_t	 n = 0;
	char	*end;

	if (*s++ != '{')
		return (-1);
	if (*s == '}')
		return (s[1] == '\0' ? 0 : -1);
	for (;;) {
		if (n == max)
			return (-1);
		if (strncmp(s, "NULL", 4) == 0) {
			out[n++] = 0;
			s += 4;
		} else {
			if (!(*s == '-' || (*s >= '0' && *s <= '9')))
				return (-1);
			errno = 0;
			out[n++] = strtoll(s, &end, 10);
			if (errno != 0 || end == s)
				return (-1);
			s = end;
		}
		if (*s == '}')
			return (s[1] == '\0' ? (int)n : -1);
		if (*s++ != ',')
			return (-1);
	}
}
