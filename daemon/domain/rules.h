/*
 * The programme's policy and its entry/exit rules: pure C over plain
 * structs (no I/O), so the write path, the sweep and the tests share it.
 */
#ifndef PARKD_RULES_H
#define PARKD_RULES_H

#include <stdint.h>

#include "lib/lib.h"
#include "domain/eval.h"

#define PREFIX_MAX	32
#define PREFIX_LEN	16

struct prefixes {
	int	 n;
	char	 v[PREFIX_MAX][PREFIX_LEN];
};

struct policy {
	char		 name[64];
	char		 hash[65];
	int		 year_from;
	int		 year_to;
	/* park admission */
	int		 park_require_legal_person;
	int		 park_min_staff;
	int		 park_min_industries;
	int		 park_max_industries;
	int64_t		 park_min_area;		/* m2 x 100 */
	/* firm entry */
	int		 reg_months;
	int		 reg_months_long;
	struct prefixes	 reg_long_industries;
	struct prefixes	 reg_waiver_sources;	/* roadshow, competition */
	int64_t		 firm_max_area;
	int64_t		 firm_max_area_large;
	struct prefixes	 large_area_industries;
	struct prefixes	 backward_industries;
	/* incubation and graduation */
	int		 incub_months;
	int		 incub_months_long;
	struct prefixes	 incub_long_industries;
	int		 grad_high_tech;
	int64_t		 grad_equity_fen;
	int64_t		 grad_revenue_2y_fen;
	int		 grad_acquired_listed;
	/* clearing and notices */
	int		 silent_quarters;
	int		 cert_warn_days;
	/* the yearly evaluation */
	struct eval_policy eval;
};

/* policy.c */
int	 policy_parse(const char *, struct policy *, char *, size_t);
int	 policy_parse_isolated(const char *, struct policy *, char *, size_t);
int	 prefixes_match(const struct prefixes *, const char *);
int	 words_has(const struct prefixes *, const char *);

/* rules.c */
struct park_facts {
	const char	*code;
	int		 legal_person;
	int		 staff;
	int		 n_industries;
	char		*const *industries;
	int64_t		 total_area;
	int64_t		 occupied_area;
	const char	*status;
};

struct entry_facts {
	const char	*credit_code;
	const char	*industry;
	struct ymd	 registered;
	struct ymd	 entry;
	int64_t		 area;
	const char	*waiver_source;		/* "" if none */
	const char	*active_park;		/* active tenancy elsewhere, or NULL */
};

struct tenancy_facts {
	int64_t		 tenancy_id;
	const char	*park_code;
	const char	*credit_code;
	const char	*industry;
	char		*const *park_industries;
	int		 n_park_industries;
	struct ymd	 entry;
	int		 high_tech;		/* valid certificate on as_of */
	int64_t		 equity_fen;		/* financing up to as_of */
	int64_t		 revenue_2y_fen;	/* the 8 quarters before as_of's */
	int		 acquired_or_listed;
	int		 last_report_qi;	/* -1 if never reported */
};

struct proposal {
	char	 kind[16];		/* graduate, clear, park, certificate */
	char	 rule[48];
	char	 subject[64];
	char	 park[40];
	char	 detail[256];
};

struct proposals {
	struct proposal	*v;
	size_t		 n;
	size_t		 cap;
};

void	 rules_park_admission(const struct policy *, const struct park_facts *,
	     struct viols *);
void	 rules_firm_entry(const struct policy *, const struct park_facts *,
	     const struct entry_facts *, struct viols *);
void	 rules_tenancy_sweep(const struct policy *, const struct tenancy_facts *,
	     const struct ymd *, struct proposals *);
void	 rules_park_sweep(const struct policy *, const struct park_facts *,
	     struct proposals *);
int	 rules_graduation_met(const struct policy *,
	     const struct tenancy_facts *, const char *);
int	 proposals_add(struct proposals *, const char *, const char *,
	     const char *, const char *, const char *, ...)
	     __attribute__((format(printf, 6, 7)));
void	 proposals_free(struct proposals *);

#endif
