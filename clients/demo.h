/* The demo city's parts shared by demo.c and demofacts.c. */
#ifndef DEMO_H
#define DEMO_H

#include <stdint.h>

#include "parkctl.h"
#include "lib/lib.h"

struct district {
	const char	*name;
	const char	*abbr;
	const char	*area_code;	/* 6-digit administrative division */
	int		 weight;
};

struct demo_park {
	char	 code[32];
	char	 name[160];
	char	 operator_name[160];
	char	 credit[19];
	char	*ind[3];
	int	 nind;
	const struct district *d;
	int	 staff;
	int64_t	 area;
	int	 legal;
	int	 high;
	int	 admitted;
	char	 admitted_on[11];
};

struct demo_firm {
	char		 credit[19];
	char		 industry[8];
	struct ymd	 reg;
	struct ymd	 entry;
	int		 park;		/* index into parks */
	int		 silent;	/* no reports for the last 2 quarters */
	int		 entered;	/* the entry was accepted */
	int		 left_qi;	/* graduated: first quarter gone, or 0 */
	struct ymd	 ht_from;	/* high-tech certificate, if y > 0 */
	struct ymd	 ht_to;
};

/* What the pipelined calls answered, for the lines demo-data prints. */
struct demo_tally {
	int	 pending;	/* sent, not answered */
	int	 created;
	int	 existed;
	int	 failed;
	int	 refused;	/* by a rule: part of the demo */
};
extern struct demo_tally demo_tally;

uint32_t demo_rnd(uint32_t);
int	 demo_send(struct ctl *, const char *, ProtobufCMessage *);
int	 demo_drain(struct ctl *, const char *);

int	 demo_load_facts(struct ctl *, struct demo_firm *, int);
int	 demo_load_graduations(struct ctl *, struct demo_firm *, int);
int	 demo_load_park_year(struct ctl *, struct demo_park *, int,
	     struct demo_firm *, int);
int	 demo_load_eval_inputs(struct ctl *, struct demo_park *, int);

#endif
