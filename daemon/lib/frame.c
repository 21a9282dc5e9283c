/* Length-prefixed framing: a 4-byte big-endian length, then the message. */
#include "lib/lib.h"

/*
 * Look at the bytes buffered so far. FRAME_READY sets *len to the body length
 * (the frame occupies FRAME_HEADER + *len bytes). A length above max is
 * reported before anything is allocated for it.
 */
enum frame_state
frame_check(const uint8_t *buf, size_t have, size_t max, uint32_t *len)
{
	uint32_t	n;

	if (have < FRAME_HEADER)
		return (FRAME_NEED_MORE);
	n = ((uint32_t)buf[0] << 24) | ((uint32_t)buf[1] << 16) |
	    ((uint32_t)buf[2] << 8) | (uint32_t)buf[3];
	*len = n;
	if (n > max)
		return (FRAME_TOO_LARGE);
	if (have - FRAME_HEADER < n)
		return (FRAME_NEED_MORE);
	return (FRAME_READY);
}

void
frame_put_header(uint8_t hdr[FRAME_HEADER], uint32_t len)
{
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
}
