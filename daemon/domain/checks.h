/* checks.c: record checks shared by the single calls and the pushes. */
#ifndef PARKD_CHECKS_H
#define PARKD_CHECKS_H

#include "parkd.pb-c.h"
#include "lib/lib.h"

void	 check_quarter(struct viols *, const char *, int, int);
void	 check_firm_report(struct viols *, const char *,
	     const Parkd__V1__FirmReport *);
void	 check_firm_report_figures(struct viols *, const char *,
	    const Parkd__V1__FirmReport *);
void	 check_certification(struct viols *, const char *,
	     const Parkd__V1__Certification *);

#endif /* PARKD_CHECKS_H */
