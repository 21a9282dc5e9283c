# parkd: make (build), make run (demo city), make check (whole suite).
CC	?= cc
BUILD	?= build
SAN	?= 0

PKGS	:= libevent libevent_openssl openssl libprotobuf-c libpq libconfig \
	   jansson cmocka
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN	:= -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wpointer-arith \
	   -Wmissing-prototypes -Wstrict-prototypes -Wno-format-nonliteral
OPT	?= -O2 -g
CFLAGS	:= -std=gnu11 $(OPT) $(WARN) -D_GNU_SOURCE -I$(BUILD)/gen -Idaemon \
	   -Iclients $(PKG_CFLAGS)
LDLIBS	:= $(PKG_LIBS) -lcsv
ifeq ($(SAN),1)
CFLAGS	+= -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=undefined
LDFLAGS	+= -fsanitize=address,undefined
endif

# daemon/ is layered (doc/architecture.md); scripts/check-layers.sh keeps
# every #include pointing down. lib/ and domain/ are pure: shared with the
# clients and the unit tests.
PURE_SRC := $(patsubst daemon/%.c,%,$(wildcard daemon/lib/*.c daemon/domain/*.c))
DAEMON_SRC := main http $(patsubst daemon/%.c,%,$(wildcard daemon/core/*.c \
	   daemon/rpc/*.c daemon/store/*.c daemon/svc/*.c daemon/svc/*/*.c))
CLIENT_SRC := libparkc
PARKCTL_SRC := parkctl pcmd pcmd_print demo demofacts demosum csvread csvsync csvexport evalcmd report declcmd expertcmd decide
UNIT_TESTS := test_frame test_pgbin test_creditcode test_config test_validate test_arena \
	   test_rules test_eval

GEN	:= $(BUILD)/gen/parkd.pb-c.c $(BUILD)/gen/parkd.pb-c.h
PB_O	:= $(BUILD)/gen/parkd.pb-c.o
PURE_O	:= $(PURE_SRC:%=$(BUILD)/daemon/%.o)
DAEMON_O := $(DAEMON_SRC:%=$(BUILD)/daemon/%.o) $(BUILD)/gen/migrations.o \
	   $(BUILD)/gen/parkd_sql.o
SQL_FILES := $(sort $(wildcard daemon/store/sql/*.sql))
CLIENT_O := $(CLIENT_SRC:%=$(BUILD)/clients/%.o)
PARKCTL_O := $(PARKCTL_SRC:%=$(BUILD)/clients/%.o)

all: deps $(BUILD)/parkd $(BUILD)/libparkc.a $(BUILD)/parkctl

# (NODEPS=1: a package build, whose Build-Depends are already checked)
deps:
	@[ -n "$(NODEPS)" ] || scripts/deps.sh check

$(BUILD)/gen/parkd.pb-c.c $(BUILD)/gen/parkd.pb-c.h: proto/parkd.proto
	@mkdir -p $(BUILD)/gen
	protoc-c --proto_path=proto --c_out=$(BUILD)/gen proto/parkd.proto

$(BUILD)/gen/migrations.c: $(wildcard schema/*.sql) scripts/embed-migrations.sh
	@mkdir -p $(BUILD)/gen
	scripts/embed-migrations.sh $(sort $(wildcard schema/*.sql)) > $@

$(BUILD)/gen/parkd_sql.h: $(SQL_FILES) scripts/embed-sql.sh
	@mkdir -p $(BUILD)/gen
	scripts/embed-sql.sh -h $(SQL_FILES) > $@

$(BUILD)/gen/parkd_sql.c: $(SQL_FILES) scripts/embed-sql.sh $(BUILD)/gen/parkd_sql.h
	scripts/embed-sql.sh -c $(SQL_FILES) > $@

# Generated code: our warnings, minus the prototype checks protoc-c skips.
$(BUILD)/gen/%.o: $(BUILD)/gen/%.c $(BUILD)/gen/parkd.pb-c.h \
    $(BUILD)/gen/parkd_sql.h
	$(CC) $(CFLAGS) -Wno-missing-prototypes -c -o $@ $<

$(BUILD)/daemon/%.o: daemon/%.c daemon/*.h daemon/*/*.h daemon/*/*/*.h $(GEN) \
    $(BUILD)/gen/parkd_sql.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/clients/%.o: clients/%.c clients/*.h daemon/lib/*.h daemon/domain/*.h $(GEN)
	@mkdir -p $(BUILD)/clients
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%.o: tests/unit/%.c daemon/*/*.h clients/*.h $(GEN)
	@mkdir -p $(BUILD)/tests
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/parkd: $(DAEMON_O) $(PURE_O) $(PB_O)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libparkc.a: $(CLIENT_O) $(PURE_O) $(PB_O)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/parkctl: $(PARKCTL_O) $(BUILD)/libparkc.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Unit tests link only pure code (and config/log for the config tests).
UNIT_DEPS := $(PURE_O) $(PB_O) $(BUILD)/daemon/core/config.o \
	   $(BUILD)/daemon/core/log.o
$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(UNIT_DEPS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

IT_O := $(patsubst tests/integration/%.c,$(BUILD)/tests/it/%.o,\
	   $(wildcard tests/integration/*.c))
$(BUILD)/tests/it/%.o: tests/integration/%.c tests/integration/it.h \
    clients/*.h daemon/lib/*.h $(GEN)
	@mkdir -p $(BUILD)/tests/it
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/integration: $(IT_O) $(BUILD)/libparkc.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

unit: all $(UNIT_TESTS:%=$(BUILD)/tests/%)
	@set -e; for t in $(UNIT_TESTS); do $(BUILD)/tests/$$t; done

integration: all $(BUILD)/tests/integration
	tests/run-integration.sh $(BUILD)

# The whole suite: plain build, then ASan+UBSan build, each unit+integration
# (the second runs the integration tests in the other order: none may lean on
# one before it).
check:
	@scripts/deps.sh install
	$(MAKE) layers
	tests/embed-sql-test.sh
	$(MAKE) unit integration
	tests/clone-test.sh $(BUILD)
	PARKD_IT_REVERSE=1 $(MAKE) BUILD=build-san SAN=1 OPT="-O1 -g" unit \
	    integration
	$(MAKE) fuzz
	@echo "make check: all suites passed (plain, ASan+UBSan, fuzz)"

# No #include from a higher layer (and the check itself catches one).
layers:
	scripts/check-layers.sh
	scripts/check-layers.sh --self-test

$(BUILD)/bench/gen_%: bench/gen_%.c $(PURE_O) $(PB_O)
	@mkdir -p $(BUILD)/bench
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# parkd's own transport (daemon/core) with an echoing owner.
CORE_O := $(patsubst daemon/%.c,$(BUILD)/daemon/%.o,$(wildcard daemon/core/*.c))
$(BUILD)/bench/tlsecho: bench/tlsecho.c $(CORE_O) $(PURE_O) $(PB_O)
	@mkdir -p $(BUILD)/bench
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bench/loadgen: bench/loadgen.c $(BUILD)/libparkc.a
	@mkdir -p $(BUILD)/bench
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bench/idleconns: bench/idleconns.c $(BUILD)/libparkc.a
	@mkdir -p $(BUILD)/bench
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Benchmarks: ratios against the machine's own ceilings, same run.
bench-sync: all $(BUILD)/bench/gen_sync
	bench/bench-sync.sh

bench-eval: all
	bench/bench-eval.sh

bench-serve: all $(BUILD)/bench/loadgen $(BUILD)/bench/tlsecho \
    $(BUILD)/bench/idleconns
	bench/bench-serve.sh

# Every benchmark, one after the other.
bench: bench-serve bench-sync bench-eval

# libFuzzer harnesses (clang), each run for FUZZ_SECONDS; part of make check.
FUZZ_TARGETS := fuzz_request fuzz_policy fuzz_fields fuzz_sync_rows fuzz_csv
FUZZ_SECONDS ?= 10
# fuzz_csv links parkctl's CSV reader and what it calls (no server is used).
FUZZ_CSV_SRC := clients/csvread.c clients/pcmd.c clients/pcmd_print.c clients/libparkc.c
build-fuzz/%: tests/fuzz/%.c $(wildcard daemon/*/*.c daemon/*/*.h daemon/*/*/*.c \
    daemon/*/*/*.h clients/*.c) \
    proto/parkd.proto
	@mkdir -p build-fuzz/gen
	protoc-c --proto_path=proto --c_out=build-fuzz/gen proto/parkd.proto
	clang -g -O1 -D_GNU_SOURCE -Ibuild-fuzz/gen -Idaemon -Iclients \
	    $(PKG_CFLAGS) -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined -o $@ $< \
	    $(if $(filter fuzz_csv,$*),$(FUZZ_CSV_SRC)) \
	    $(PURE_SRC:%=daemon/%.c) build-fuzz/gen/parkd.pb-c.c $(LDLIBS)

fuzz: $(FUZZ_TARGETS:%=build-fuzz/%)
	@set -e; for t in $(FUZZ_TARGETS); do \
	    mkdir -p build-fuzz/corpus-$$t; \
	    LSAN_OPTIONS=suppressions=tests/fuzz/lsan.supp \
	    build-fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=1024 \
	        build-fuzz/corpus-$$t tests/fuzz/corpus/$${t#fuzz_} \
	        2>build-fuzz/$$t.log || { tail -30 build-fuzz/$$t.log; exit 1; }; \
	    echo "$$t: $$(grep '^Done' build-fuzz/$$t.log)"; \
	done

run:
	@scripts/deps.sh install
	$(MAKE) all
	scripts/run-demo.sh

stop:
	scripts/run-demo.sh stop

# make install PREFIX=/usr/local DESTDIR=…: the binaries, the example
# configuration and the shipped policies under $(SYSCONFDIR)/parkd (kept if
# there), the systemd unit, the man pages and parkctl's bash completion.
# The migrations are embedded in parkd.
PREFIX ?= /usr/local
SYSCONFDIR ?= $(PREFIX)/etc
SBINDIR ?= $(PREFIX)/sbin
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(SYSCONFDIR)/parkd/policy $(DESTDIR)$(SYSCONFDIR)/parkd/tls \
	    $(DESTDIR)$(PREFIX)/share/parkd/policy $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(COMPLETIONDIR)
	install -m 755 $(BUILD)/parkd $(DESTDIR)$(SBINDIR)/parkd
	install -m 755 $(BUILD)/parkctl $(DESTDIR)$(BINDIR)/parkctl
	install -m 644 configs/policy/*.conf $(DESTDIR)$(PREFIX)/share/parkd/policy/
	for f in configs/policy/*.conf; do \
	    t=$(DESTDIR)$(SYSCONFDIR)/parkd/policy/$$(basename $$f); \
	    [ -e $$t ] || install -m 644 $$f $$t; done
	[ -e $(DESTDIR)$(SYSCONFDIR)/parkd/parkd.conf ] || \
	    sed 's|"\.\./var/tls/|"tls/|' configs/parkd.conf > \
	    $(DESTDIR)$(SYSCONFDIR)/parkd/parkd.conf
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	    dist/parkd.service > $(DESTDIR)$(UNITDIR)/parkd.service
	install -m 644 man/parkd.8 $(DESTDIR)$(MANDIR)/man8/parkd.8
	install -m 644 man/parkctl.1 $(DESTDIR)$(MANDIR)/man1/parkctl.1
	install -m 644 man/parkd.conf.5 man/parkd-policy.5 $(DESTDIR)$(MANDIR)/man5/
	$(BUILD)/parkctl completion bash > $(DESTDIR)$(COMPLETIONDIR)/parkctl

# Build the Debian package, install it on this machine, start the installed
# parkd with its installed configuration against a throwaway PostgreSQL,
# call it with the installed parkctl, purge it (tests/package-test.sh).
package-test:
	tests/package-test.sh

clean:
	rm -rf build build-san build-fuzz

.PHONY: all deps layers unit integration check run stop clean install package-test bench bench-serve bench-sync bench-eval fuzz
