/*
 * A CSV push in parkctl, shared by its two halves: csvread.c reads a file
 * into rows and each row into its record message, which is all a dry run
 * does (the fuzzer's); csvsync.c sends the rows to parkd in chunks under one
 * idempotency key and writes the refused ones back.
 */
#ifndef PARKCTL_CSVPUSH_H
#define PARKCTL_CSVPUSH_H

#include <stdint.h>
#include <stdio.h>

#include "parkctl.h"
#include "lib/lib.h"

#define MAXCOLS		12	/* a kind's columns */
#define MAXFIELDS	64	/* a record's fields kept; more are dropped */
#define WINDOW		4

struct rowbuf {
	int64_t	 row;
	char	*f[MAXCOLS];
	char	*err;			/* client-side refusal, if any */
};

struct inflight {
	struct rowbuf	*rows;
	size_t		 n;
};

struct push {
	struct ctl		*ctl;
	const struct record_kind *k;
	int			 map[MAXCOLS];	/* kind column -> csv column */
	char			*cur[MAXFIELDS]; /* the current record's */
	int			 nf;
	int64_t			 row;		/* header = row 1 */
	int			 header_done;
	struct rowbuf		*chunk;
	size_t			 nchunk;
	size_t			 chunk_size;
	struct inflight		 fl[WINDOW];
	int			 nfl;
	int64_t			 sync_id;
	int64_t			 total_rows;	/* for the progress bar */
	int64_t			 sent;
	int64_t			 client_refused;
	int64_t			 server_refused;
	FILE			*refused;
	const char		*refused_path;
	int			 failed;
	int			 tty;
	/* a full chunk: sent to parkd, or only converted in a dry run */
	int			(*flush)(struct push *);
};

int	 push_stream(struct push *, FILE *, const char *);
void	*push_convert(struct push *, struct rowbuf *);
void	 push_rows_free(struct rowbuf *, size_t);

#endif
