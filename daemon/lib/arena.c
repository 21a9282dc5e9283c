/*
 * A bump allocator with a byte budget. protobuf-c decodes into it; past the
 * budget allocation fails, unpack returns NULL, and the request is refused
 * instead of the daemon growing without bound (PITFALLS.md: decoding
 * amplifies memory).
 */
#include <stdlib.h>
#include <string.h>

#include "lib/lib.h"

struct chunk {
	struct chunk	*next;
	size_t		 size;
	size_t		 used;
	max_align_t	 data[];
};

struct arena {
	struct chunk	*head;
	size_t		 budget;
	size_t		 used;
	int		 failed;	/* an allocation hit the budget */
};

#define CHUNK_MIN	4096

struct arena *
arena_new(size_t budget)
{
	struct arena	*a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return (NULL);
	a->budget = budget;
	return (a);
}

void *
arena_alloc(struct arena *a, size_t size)
{
	struct chunk	*c = a->head;
	size_t		 align = sizeof(max_align_t), csize;
	void		*p;

	if (size == 0)
		size = 1;
	if (size > a->budget) {
		a->failed = 1;
		return (NULL);
	}
	size = (size + align - 1) & ~(align - 1);
	if (c == NULL || c->size - c->used < size) {
		csize = size > CHUNK_MIN ? size : CHUNK_MIN;
		if (a->used + csize > a->budget)
			csize = size;
		if (a->used + csize > a->budget) {
			a->failed = 1;
			return (NULL);
		}
		if ((c = malloc(sizeof(*c) + csize)) == NULL)
			return (NULL);
		c->size = csize;
		c->used = 0;
		c->next = a->head;
		a->head = c;
		a->used += csize;
	}
	p = (char *)c->data + c->used;
	c->used += size;
	return (p);
}

char *
arena_strdup(struct arena *a, const char *s)
{
	size_t	 n = strlen(s) + 1;
	char	*p;

	if ((p = arena_alloc(a, n)) != NULL)
		memcpy(p, s, n);
	return (p);
}

size_t
arena_used(const struct arena *a)
{
	return (a->used);
}

/* Change the budget (decoding is done; the handler gets its own). */
void
arena_set_budget(struct arena *a, size_t budget)
{
	a->budget = budget;
}

int
arena_failed(const struct arena *a)
{
	return (a->failed);
}

void
arena_free(struct arena *a)
{
	struct chunk	*c, *next;

	if (a == NULL)
		return;
	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

static void *
arena_pb_alloc(void *data, size_t size)
{
	return (arena_alloc(data, size));
}

static void
arena_pb_free(void *data, void *p)
{
	(void)data;
	(void)p;	/* released with the arena */
}

ProtobufCAllocator
arena_allocator(struct arena *a)
{
	ProtobufCAllocator	 al = { arena_pb_alloc, arena_pb_free, a };

	return (al);
}
