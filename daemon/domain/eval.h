/*
 * The yearly performance evaluation and the operating subsidy: pure C over
 * plain structs. Scores are centi-points (0..10000 = 0.00..100.00), money is
 * fen; no floating point anywhere.
 */
#ifndef PARKD_EVAL_H
#define PARKD_EVAL_H

#include <stddef.h>
#include <stdint.h>

/* The raw indicators parkd can measure (the policy picks and weighs them). */
enum eval_raw {
	RAW_TENANTS, RAW_OCCUPANCY, RAW_NEW_ENTRIES, RAW_GRADUATES,
	RAW_REVENUE, RAW_REVENUE_GROWTH, RAW_TECH_SHARE, RAW_HIGH_TECH,
	RAW_SRDI, RAW_IP, RAW_JOBS, RAW_GRADUATE_JOBS, RAW_INTERNS,
	RAW_ACTIVITIES, RAW_ROADSHOWS, RAW_SERVICES, RAW_COUNT
};
extern const char *const eval_raw_keys[RAW_COUNT];
extern const char *const eval_raw_units[RAW_COUNT];
int	 eval_raw_find(const char *);
const char *eval_raw_unit(int);

/*
 * Qualitative indicators scored by experts (expert = true in the policy):
 * raw slots after the measured ones, each the experts' aggregate score in
 * centi-points (0..10000).
 */
#define EVAL_MAX_EXPERT	8
#define RAW_SLOTS	(RAW_COUNT + EVAL_MAX_EXPERT)
enum eval_agg { AGG_MEAN, AGG_TRIMMED_MEAN };
int	 eval_aggregate(const int *, int, int);
struct eval_policy;
int	 eval_expert_find(const struct eval_policy *, const char *);

#define EVAL_MAX_DIMS	8
#define EVAL_MAX_INDS	24
#define EVAL_MAX_GRADES	6
#define EVAL_MAX_BANDS	8
#define EVAL_MAX_REASONS 10	/* 4 gates, quota, score, award, cap, budget, warning */

enum eval_scale { SCALE_LINEAR, SCALE_BANDED };
enum eval_mode { MODE_GRADES, MODE_LINEAR };
enum eval_tie { TIE_NONE_IN, TIE_ALL_IN, TIE_INDICATOR };

struct eval_dimension {
	char	 key[24];
	char	 name[64];
	int	 weight;
};

struct eval_indicator {
	char		 key[24];
	char		 name[64];
	int		 raw;		/* enum eval_raw */
	int		 dim;		/* index into dims */
	int		 weight;	/* points of 100 */
	int		 scale;
	int64_t		 floor;
	int64_t		 target;
	int		 nbands;
	int64_t		 band_min[EVAL_MAX_BANDS];
	int		 band_cp[EVAL_MAX_BANDS];
};

struct eval_grade {
	char	 grade[4];
	char	 name[24];
	int	 min_cp;
	int64_t	 amount_fen;
};

struct eval_policy {
	int			 ndims;
	struct eval_dimension	 dims[EVAL_MAX_DIMS];
	int			 ninds;
	struct eval_indicator	 inds[EVAL_MAX_INDS];
	int			 ngrades;	/* ordered best first */
	struct eval_grade	 grades[EVAL_MAX_GRADES];
	int			 mode;
	int			 linear_min_cp;
	int64_t			 cap_fen;
	int			 quota_pct;	/* A+B share cap, 0 = none */
	int			 tie_rule;
	int			 tie_raw;	/* TIE_INDICATOR: higher wins */
	int			 gate_min_staff;
	int			 gate_legal_person;
	int			 gate_roadshow_quarters;
	char			 award_kind[32];
	int			 fail_exit_after;
	int			 nexpert;	/* expert-scored indicators */
	int			 expert_ind[EVAL_MAX_EXPERT];	/* into inds */
	int			 expert_agg;	/* enum eval_agg */
	int			 notice_days;	/* working days of public notice */
	int			 use_declarations; /* approved declared figures */
	char			 decl_deadline[6]; /* MM-DD of the next year */
	/* the city's plan targets, shown beside the city's figures */
	int64_t			 t_parks, t_firms, t_area_m2, t_revenue_yuan;
	int64_t			 t_jobs, t_high_tech, t_srdi, t_tech_pct;
};

struct eval_park {
	int64_t		 park_id;
	const char	*code;
	int64_t		 raw[RAW_SLOTS];
	int		 experts;	/* experts whose scores it has */
	int		 admitted;	/* admitted, not exited by the year end */
	const char	*admitted_on;	/* YYYY-MM-DD; NULL: long before */
	int		 legal_person;
	int		 staff;
	int		 roadshow_quarters;	/* quarters with a roadshow */
	int		 has_award;
	int		 prev_fails;	/* consecutive failed years before */
};

struct eval_result {
	int64_t		 park_id;
	int		 score_cp[EVAL_MAX_INDS];
	int		 contrib_cp[EVAL_MAX_INDS];
	int		 total_cp;
	char		 grade[4];
	char		 grade_name[24];
	int		 eligible;
	int64_t		 grade_amount_fen; /* the grade's (or linear) amount */
	int64_t		 amount_fen;	/* after gates, award, cap */
	int64_t		 subsidy_fen;
	int		 consecutive_fails;
	int		 rank;		/* shared by equal totals */
	int		 position;	/* 1..n in ranking order */
	int		 nreasons;
	char		 reasons[EVAL_MAX_REASONS][192];
	char		 reason_codes[EVAL_MAX_REASONS][24];	/* gate.min_staff… */
};

struct eval_totals {
	int64_t		 requested_fen;	/* sum before the budget */
	int64_t		 total_fen;	/* sum paid */
	int64_t		 budget_fen;	/* -1: no budget */
	int64_t		 remainder_fen;	/* budget - total, if a budget */
	int		 grade_count[EVAL_MAX_GRADES];
	int		 downgraded;	/* by the A/B quota */
};

struct config_setting_t;
int	 eval_policy_parse(struct config_setting_t *, struct eval_policy *,
	     int, char *, size_t);
int	 eval_score_cp(const struct eval_indicator *, int64_t);
void	 eval_score_park(const struct eval_policy *, const struct eval_park *,
	     struct eval_result *);
int	 eval_run(const struct eval_policy *, int, const struct eval_park *,
	     size_t, int64_t, struct eval_result *, struct eval_totals *);
int64_t	 eval_scale_budget(int64_t, int64_t, int64_t);

#endif
