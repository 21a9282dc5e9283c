/*
 * libFuzzer: a frame as parkd decodes it. The length prefix, the envelope
 * and the body of every method, each decoded into a budgeted arena exactly
 * as req.c does; nothing may crash, leak or exceed the budget.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/lib.h"
#include "parkd.pb-c.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Parkd__V1__Request	*env;
	ProtobufCAllocator	 al;
	struct arena		*a;
	uint32_t		 len;
	size_t			 i, j;

	if (frame_check(data, size, 1u << 20, &len) != FRAME_READY)
		return (0);
	data += FRAME_HEADER;
	if ((a = arena_new((size_t)len * 8 + 65536)) == NULL)
		return (0);
	al = arena_allocator(a);
	if ((env = parkd__v1__request__unpack(&al, len, data)) != NULL) {
		for (i = 0; i < parkd_nservices; i++) {
			for (j = 0; j < parkd_services[i]->n_methods; j++) {
				const ProtobufCMethodDescriptor *m =
				    &parkd_services[i]->methods[j];

				if (strcmp(m->name, env->method) == 0)
					(void)protobuf_c_message_unpack(
					    m->input, &al, env->body.len,
					    env->body.data);
			}
		}
	}
	arena_free(a);
	return (0);
}
