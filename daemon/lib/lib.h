/*
 * Pure code shared by parkd, libparkc and the tests: no I/O, no libevent.
 */
#ifndef PARKD_PURE_H
#define PARKD_PURE_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/* services.c: the services of proto/parkd.proto */
extern const ProtobufCServiceDescriptor *const parkd_services[];
extern const size_t parkd_nservices;

/* frame.c: 4-byte big-endian length prefix */
#define FRAME_HEADER	4
enum frame_state { FRAME_NEED_MORE, FRAME_READY, FRAME_TOO_LARGE };
enum frame_state frame_check(const uint8_t *, size_t, size_t, uint32_t *);
void		 frame_put_header(uint8_t [FRAME_HEADER], uint32_t);

/* arena.c: budgeted allocator for protobuf-c decoding */
struct arena;
struct arena	*arena_new(size_t);
void		*arena_alloc(struct arena *, size_t);
char		*arena_strdup(struct arena *, const char *);
size_t		 arena_used(const struct arena *);
int		 arena_failed(const struct arena *);
void		 arena_set_budget(struct arena *, size_t);
void		 arena_free(struct arena *);
ProtobufCAllocator arena_allocator(struct arena *);

/* pgbin.c: one-dimensional arrays in PostgreSQL's binary format */
#define PGBIN_BOOL	16		/* element type OIDs (pg_type) */
#define PGBIN_INT8	20
#define PGBIN_INT4	23
struct pgbin {
	unsigned char	*b;
	size_t		 len;
	size_t		 cap;
	size_t		 n;		/* elements */
	uint32_t	 oid;
	int		 oom;
};
void	 pgbin_i64(struct pgbin *, int64_t);
void	 pgbin_i32(struct pgbin *, int32_t);
void	 pgbin_bool(struct pgbin *, int);
int	 pgbin_end(struct pgbin *);
void	 pgbin_free(struct pgbin *);
int	 pgtext_i64s(const char *, int64_t *, size_t);

/* creditcode.c: GB 32100-2015 and GB 11714 */
int	 creditcode_check(const char *, const char **);
int	 creditcode_char_value(char);
char	 creditcode_check_char(const char *);
int	 orgcode_check(const char *);
char	 orgcode_check_char(const char *);

/* validate.c: field formats */
int	 valid_date(const char *);
int	 valid_industry_code(const char *);
int	 valid_industry_prefix(const char *);
int	 valid_utf8(const char *);
int	 valid_document(const char *);
int	 valid_text(const char *, size_t, size_t);
int	 str_in_list(const char *, const char *const *);
int	 date_to_days(const char *, int32_t *);
int32_t	 civil_days(int, int, int);

/* dates.c: civil dates as days since 1970-01-01 */
struct ymd {
	int	 y;
	int	 m;
	int	 d;
};
int	 ymd_parse(const char *, struct ymd *);
int32_t	 ymd_days(const struct ymd *);
struct ymd ymd_from_days(int32_t);
struct ymd ymd_add_months(struct ymd, int);
struct ymd ymd_add_working_days(struct ymd, int);
int	 ymd_quarter_index(const struct ymd *);	/* y * 4 + q - 1 */
void	 ymd_format(const struct ymd *, char [11]);
void	 today(struct ymd *);

/* kinds.c: the record kinds of a push (parkd and parkctl alike) */
enum kind_unit { KU_PLAIN, KU_HUNDREDTHS };
#define KIND_MAXCOLS	10
struct record_kind {
	const char	*name;		/* its repeated field of SyncChunkRequest */
	int		 ncols;
	struct {
		const char	*csv;	/* the CSV header */
		const char	*field;	/* the field of the kind's message */
		enum kind_unit	 unit;	/* CSV yuan/m2, wire fen/m2 x 100 */
		int		 optional; /* a CSV file may leave it out */
	}		 cols[KIND_MAXCOLS];
};
extern const struct record_kind record_kinds[];
extern const size_t nrecord_kinds;
const struct record_kind *record_kind_find(const char *);
const ProtobufCFieldDescriptor *record_kind_field(const struct record_kind *);
const ProtobufCFieldDescriptor *record_kind_col(const struct record_kind *,
	     int);
size_t	 record_kind_count(const struct record_kind *,
	     const ProtobufCMessage *);
ProtobufCMessage **record_kind_records(const struct record_kind *,
	     const ProtobufCMessage *);
void	 record_kind_set(const struct record_kind *, ProtobufCMessage *,
	     ProtobufCMessage **, size_t);

/* units.c: yuan and m2 with two decimals <-> integer hundredths */
int	 parse_hundredths(const char *, int64_t *);
void	 fmt_hundredths(int64_t, char *, size_t);
const char *fmt_yuan(int64_t, char *, size_t);

/* pbcheck.c: string fields holding a NUL byte */
int	 pb_strings_clean(const ProtobufCMessageDescriptor *, const uint8_t *,
	     size_t, const char **);

/*
 * Bounds on every number a client sends (README "Limits"): sums of any
 * number of them that decide money are computed in __int128.
 */
#define LIMIT_FEN	10000000000000LL	/* 10^13 fen: 1,000 亿元 */
#define LIMIT_COUNT	1000000			/* people, services, items */
#define LIMIT_AREA	100000000000LL		/* m2 x 100: 10^9 m2 */
#define LIMIT_YEAR_MIN	1900			/* dates: 1900-01-01 .. */
#define LIMIT_YEAR_MAX	2100			/* .. 2100-12-31 */

/* viols.c: violations collected for one request */
struct viol {
	char	*field;
	char	*rule;
	char	*message;
};
struct viols {
	struct viol	*v;
	size_t		 n;
	size_t		 cap;
};
#define VIOLS_MAX	100
void	 viols_add(struct viols *, const char *, const char *, const char *,
	     ...) __attribute__((format(printf, 4, 5)));
void	 viols_free(struct viols *);
int	 viols_range(struct viols *, const char *, int64_t, int64_t, int64_t);

#endif /* PARKD_PURE_H */
