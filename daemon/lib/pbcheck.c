/*
 * What protobuf-c does not check on its own: a string field whose bytes
 * hold a NUL. protobuf-c copies the bytes and the C string silently ends at
 * the NUL, so "name\0rest" would be stored as "name". Walk the wire bytes
 * of a message with its descriptor (after a successful unpack, so the
 * encoding is known to be well formed) and refuse such strings. Linear in
 * the input; the depth is bounded by the schema, which has no recursion.
 */
#include <string.h>

#include "lib/lib.h"

#define PB_MAX_DEPTH	16

static int
pb_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
	uint64_t	 v = 0;
	int		 shift;

	for (shift = 0; shift < 64 && *p < end; shift += 7) {
		uint8_t b = *(*p)++;

		v |= (uint64_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0) {
			*out = v;
			return (0);
		}
	}
	return (-1);
}

static const ProtobufCFieldDescriptor *
pb_field(const ProtobufCMessageDescriptor *d, uint64_t id)
{
	unsigned	 i;

	for (i = 0; i < d->n_fields; i++) {
		if (d->fields[i].id == id)
			return (&d->fields[i]);
	}
	return (NULL);
}

static int
pb_walk(const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t len,
    int depth, const char **bad)
{
	const uint8_t			*end = p + len;
	const ProtobufCFieldDescriptor	*f;
	uint64_t			 tag, n;

	if (depth > PB_MAX_DEPTH)
		return (-1);
	while (p < end) {
		if (pb_varint(&p, end, &tag) != 0)
			return (-1);
		switch (tag & 7) {
		case 0:
			if (pb_varint(&p, end, &n) != 0)
				return (-1);
			continue;
		case 1:
			n = 8;
			break;
		case 5:
			n = 4;
			break;
		case 2:
			if (pb_varint(&p, end, &n) != 0)
				return (-1);
			break;
		default:
			return (-1);
		}
		if (n > (uint64_t)(end - p))
			return (-1);
		f = (tag & 7) == 2 ? pb_field(d, tag >> 3) : NULL;
		if (f != NULL && f->type == PROTOBUF_C_TYPE_STRING &&
		    memchr(p, '\0', (size_t)n) != NULL) {
			*bad = f->name;
			return (-1);
		}
		if (f != NULL && f->type == PROTOBUF_C_TYPE_MESSAGE &&
		    pb_walk(f->descriptor, p, (size_t)n, depth + 1, bad) != 0)
			return (-1);
		p += n;
	}
	return (0);
}

/*
 * 0 if no string field of the encoded message buf holds a NUL byte; else
 * -1, with *bad the name of the field (NULL if the bytes are malformed).
 */
int
pb_strings_clean(const ProtobufCMessageDescriptor *d, const uint8_t *buf,
    size_t len, const char **bad)
{
	*bad = NULL;
	return (pb_walk(d, buf, len, 0, bad));
}
