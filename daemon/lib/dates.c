/* Civil-calendar arithmetic for the rules: days, months, quarters. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/lib.h"

int
ymd_parse(const char *s, struct ymd *out)
{
	int32_t	 days;

	if (date_to_days(s, &days) != 0)
		return (-1);
	*out = ymd_from_days(days);
	return (0);
}

int32_t
ymd_days(const struct ymd *d)
{
	return (civil_days(d->y, d->m, d->d));
}

/* Inverse of date_to_days (Howard Hinnant's civil_from_days). */
struct ymd
ymd_from_days(int32_t z)
{
	struct ymd	 r;
	int32_t		 era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	r.d = doy - (153 * mp + 2) / 5 + 1;
	r.m = mp < 10 ? mp + 3 : mp - 9;
	r.y = yoe + era * 400 + (r.m <= 2);
	return (r);
}

static int
month_days(int y, int m)
{
	static const int d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return (29);
	return (d[m - 1]);
}

/* d plus n calendar months; the 31st becomes the month's last day. */
struct ymd
ymd_add_months(struct ymd d, int n)
{
	int	 mi = d.y * 12 + (d.m - 1) + n;

	d.y = mi / 12;
	d.m = mi % 12 + 1;
	if (d.d > month_days(d.y, d.m))
		d.d = month_days(d.y, d.m);
	return (d);
}

int
ymd_quarter_index(const struct ymd *d)
{
	return (d->y * 4 + (d->m - 1) / 3);
}

void
ymd_format(const struct ymd *d, char out[11])
{
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)d->y % 10000u,
	    (unsigned)d->m % 100u, (unsigned)d->d % 100u);
}

/*
 * The n-th working day (Monday to Friday) after d; d itself when n <= 0.
 * Public holidays are not known here (a notice period counts them).
 */
struct ymd
ymd_add_working_days(struct ymd d, int n)
{
	int32_t	 z = ymd_days(&d);

	while (n > 0) {
		z++;
		/* 1970-01-01 was a Thursday: z % 7 == 2 is Saturday, 3 Sunday */
		if (((z % 7) + 7) % 7 != 2 && ((z % 7) + 7) % 7 != 3)
			n--;
	}
	return (ymd_from_days(z));
}

/*
 * The local calendar date (the only clock the date code reads). Checks call
 * it per row, so the conversion is done once a second, not per call.
 */
void
today(struct ymd *d)
{
	static time_t	 last = -1;
	static struct ymd cached;
	time_t		 t = time(NULL);
	struct tm	 tm;

	if (t != last) {
		localtime_r(&t, &tm);
		cached.y = tm.tm_year + 1900;
		cached.m = tm.tm_mon + 1;
		cached.d = tm.tm_mday;
		last = t;
	}
	*d = cached;
}
