/* libFuzzer: policy documents (libconfig text) into struct policy. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domain/rules.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy	 p;
	char		*text, err[256];

	if (size > 65536 || (text = malloc(size + 1)) == NULL)
		return (0);
	memcpy(text, data, size);
	text[size] = '\0';
	(void)policy_parse(text, &p, err, sizeof(err));
	free(text);
	return (0);
}
