/*
 * The integration suite's shared helpers (helpers.c) and tests: the real
 * parkd (two of them on one PostgreSQL) over real mutual TLS, driven
 * through libparkc. Started by tests/run-integration.sh, which passes
 * addresses and paths in PARKD_*. Each *_it.c file holds one concern's
 * tests; integration.c the core ones and main.
 */
#ifndef PARKD_IT_H
#define PARKD_IT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <libpq-fe.h>

#include "libparkc.h"
#include "lib/lib.h"

extern const char *addr1, *addr2, *tlsdir;
extern int64_t park_a, park_b;

#define CODE(x)	PARKD__V1__CODE__##x

/* helpers.c */
struct parkc *connect_cert(const char *addr, const char *dir, const char *who, char *err, size_t errlen);
struct parkc *as(const char *who, const char *addr);
int	call(struct parkc *pc, const char *method, const ProtobufCMessage *in, struct parkc_result *res);
void	expect(struct parkc *pc, const char *method, const ProtobufCMessage *in, int code);
int	has_violation(const struct parkc_result *res, const char *field, const char *rule);
void	park_init(Parkd__V1__Park *p, const char *code, const char *district);
int64_t	create_park(struct parkc *pc, const char *code, const char *district);
char *read_file(const char *path);
void	add_principal(struct parkc *admin, const char *who, const char *role, const char *park);
void	add_principal_in(struct parkc *, const char *, const char *, const char *, const char *);
int	call_keep(struct parkc *, const char *, const ProtobufCMessage *, struct parkc_result *);
void	update_staff(struct parkc *pc, int64_t id, int64_t version, int staff, int want);
void	get_park(struct parkc *pc, int64_t id, int *staff, int64_t *version);
void	send_frame(struct parkc *pc, const void *body, uint32_t len);
void	send_request(struct parkc *pc, uint64_t id, const char *method, const uint8_t *body, size_t len);
int	recv_code(struct parkc *pc, uint64_t *id);
int	who_code(struct parkc *pc);
int	http_status(const char *path);
void	write_text(const char *path, const char *text);
pid_t	parkd_pid(void);
int	wait_until(int (*)(void *), void *, int);
long	log_end(void);
int	log_wait(long, const char *const *, int);
void	hup(void);
struct metric_at {
	const char	*name;
	long		 want;
	int		 least;		/* at least want, else at most */
};
long	metric_of(const char *, const char *);
long	metric1(const char *);
long	metric2(const char *);
int	metric_reached(void *);
int	frame_of_size(uint32_t len);
uint64_t	mono_ms(void);
int	tcp_connect(const char *addr);
int	enter(struct parkc *pc, const char *park, const char *code, const char *on, int64_t area, struct parkc_result *res);
void	create_firm(struct parkc *pc, const char *code, const char *industry, const char *reg);
const char *code_for(int n, char out[19]);
void	enter_ok(struct parkc *pc, const char *park, const char *code, const char *on, int64_t area);
int	sweep_has(struct parkc *pc, const char *as_of, const char *subject, const char *rule);
int64_t	begin_sync(struct parkc *pc, const char *park, const char *kind, const char *key, int *done, Parkd__V1__SyncOutcome *out);
void	commit_sync(struct parkc *pc, int64_t id, Parkd__V1__SyncOutcome *out);
int64_t	sql_int(const char *q);
int	race_last_free_area(struct parkc *, struct parkc *, struct parkc *, const char *, int, int);
int	lock_waiting(PGconn *);
int64_t	audit_rows(void);
int	assign_expert(struct parkc *, int, const char *, const char *);
void	upload_policy_variant(const char *const (*)[2], size_t);
extern const char *const expert_indicators_edit[2];
int	submit_scores(struct parkc *, int, const char *, const char *const *,
	    const int *, size_t, struct parkc_result *);

/* scope_it.c: the firms of parks SC-A and SC-B (see there) */
enum { FA, FX, FB, FN, NOBJ };
extern char sc_code[NOBJ][19];
void	scope_fixture(void);

/* replica_it.c */
int	run_replica(void);

/* lb_it.c */
int	run_lb(void);

/* obs_it.c */
void	test_metrics_histograms(void **);
void	test_slow_request_log(void **);

/* pipe_it.c */
void	test_pipe_scopes(void **);
void	test_pipe_error_isolation(void **);
void	test_begin_folded_error(void **);
void	test_list_pages(void **);

/* integration.c */
void	 test_park_crud(void **);
void	 test_park_invalid(void **);
void	 test_stale_version(void **);
void	 test_firm_crud(void **);
void	 test_scope(void **);
void	 test_certificates(void **);
void	 test_bad_frames(void **);
void	 test_pipelining(void **);
void	 test_decode_memory(void **);
void	 test_partial_frame_timeout(void **);
void	 test_postgres_restart(void **);
void	 test_sighup(void **);
void	 test_handshake_timeout(void **);
void	 test_audit(void **);

/* rules_it.c: the city its story builds (see there) */
void	 rules_city(void);
void	 test_admission(void **);
void	 test_entry_refusals(void **);
void	 test_last_free_area(void **);
void	 test_policy_change(void **);
void	 test_graduation_and_sweep(void **);
void	 test_park_exit(void **);
void	 test_policy_file_reload(void **);

/* sync_it.c */
void	 test_sync_good_and_bad(void **);
void	 test_sync_sigkill(void **);
void	 test_sync_two_operators(void **);
void	 test_sync_report_paths(void **);
void	 test_sync_report_race(void **);

/* eval_it.c */
void	 test_eval_run(void **);
void	 test_eval_publish_immutable(void **);
void	 test_eval_operator(void **);
void	 test_eval_consecutive_fails(void **);
void	 test_eval_notice(void **);

/* decl_it.c */
void	 test_declarations(void **);

/* expert_it.c */
void	 test_experts(void **);

/* scope_it.c */
void	 test_scope_matrix(void **);
void	 test_scope_pushes(void **);
void	 test_scope_export(void **);
void	 test_scope_draft_run(void **);
void	 test_scope_rls(void **);

/* limits_it.c */
void	 test_input_bounds(void **);
void	 test_admission_flood(void **);
void	 test_hung_database(void **);
void	 test_largest_frames(void **);
void	 test_push_fairness(void **);
void	 test_reverse_chunk(void **);

#endif /* PARKD_IT_H */
