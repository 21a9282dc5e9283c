/* One log API: a line per event on stderr, key=value after the message. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"

static int	 log_lvl = LOG_LVL_INFO;
static const char *const names[] = { "error", "warn", "info", "debug" };

int
log_level_parse(const char *s)
{
	int	 i;

	for (i = 0; i < 4; i++) {
		if (strcmp(s, names[i]) == 0)
			return (i);
	}
	return (-1);
}

void
log_setlevel(int lvl)
{
	log_lvl = lvl;
}

/* Would a line at lvl be written? (to skip building one that would not) */
int
log_enabled(int lvl)
{
	return (lvl <= log_lvl);
}

static void
log_vwrite(int lvl, const char *fmt, va_list ap, const char *err)
{
	char		 ts[32];
	struct timespec	 tv;
	struct tm	 tm;

	if (lvl > log_lvl)
		return;
	clock_gettime(CLOCK_REALTIME, &tv);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ parkd %s: ", ts, tv.tv_nsec / 1000000,
	    names[lvl]);
	vfprintf(stderr, fmt, ap);
	if (err != NULL)
		fprintf(stderr, ": %s", err);
	fputc('\n', stderr);
	fflush(stderr);
}

#define LOG_FN(fn, lvl, witherr)					\
void									\
fn(const char *fmt, ...)						\
{									\
	va_list	 ap;							\
	int	 saved = errno;						\
									\
	va_start(ap, fmt);						\
	log_vwrite(lvl, fmt, ap, witherr ? strerror(saved) : NULL);	\
	va_end(ap);							\
	errno = saved;							\
}
LOG_FN(log_warn, LOG_LVL_WARN, 1)
LOG_FN(log_warnx, LOG_LVL_WARN, 0)
LOG_FN(log_info, LOG_LVL_INFO, 0)
LOG_FN(log_debug, LOG_LVL_DEBUG, 0)

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_vwrite(LOG_LVL_ERR, fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LVL_ERR, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
