# The one build of the mail suite. Each directory adds itself through a rules.mk
# that appends to these lists:
#
#   PROGS += name            name_SRCS := dir/main.c dir/unit.c ...
#                            name_LIBS := extra link flags (default: libqm + skalibs)
#                            name_NOQM := 1 to link neither libqm nor skalibs
#   UNITS += test_x          test_x_SRCS := tests/unit/test_x.c dir/unit.c ...
#                            test_x_LIBS, test_x_NOQM as for programs
#   FUZZ  += fuzz_x          fuzz_x_SRCS := tests/fuzz/fuzz_x.c dir/unit.c ...
#                            (seed corpus in tests/fuzz/fuzz_x/)
#   SCRIPTS += path          shell scripts installed as they are
#   BENCHPROGS += name       name_SRCS etc. as for PROGS, but built into build/bench/
#                            by `make bench-build` only: never by `all`, never installed
#   TESTPROGS += name        name_SRCS, _LIBS, _NOQM as for programs; built by make all
#                            into build/testbin/ for the tests, never installed
#   name_MUSL := 1           a program built against musl (static-pie, no libqm, no
#                            skalibs): see musl_rule
#
# Objects go to build/; the sanitizer build of the unit tests to build/asan/ and the
# fuzzers to build/fuzz/. Header dependencies come from -MMD -MP.

SHELL := /bin/bash
.DEFAULT_GOAL := all
B := build

conf = $(shell head -n 1 conf-files/$(1))
CC := $(call conf,conf-cc)
LD := $(call conf,conf-ld)
FUZZCC := clang -std=c99 -D_DEFAULT_SOURCE -D_XOPEN_SOURCE=700 -g -O1 -Wall -Wextra -Werror
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
INCLUDES := -I$(B)/include -Ilib
FUZZ_SECONDS ?= 5

PROGS :=
UNITS :=
FUZZ :=
SCRIPTS :=
BENCHPROGS :=
TESTPROGS :=

include $(sort $(wildcard */rules.mk))

LIBQM_SRCS := $(sort $(wildcard lib/*.c))
CONF_H := $(B)/include/qm_conf.h

# --- generated configuration ------------------------------------------------------
$(CONF_H): mk/mkconf.sh $(wildcard conf-files/conf-*)
	@mkdir -p $(@D)
	sh mk/mkconf.sh conf-files > $@.tmp && mv $@.tmp $@

# --- objects, three flavours ------------------------------------------------------
$(B)/obj/%.o: %.c | $(CONF_H)
	@mkdir -p $(@D)
	$(CC) $(INCLUDES) -MMD -MP -c -o $@ $<

$(B)/asan/obj/%.o: %.c | $(CONF_H)
	@mkdir -p $(@D)
	$(CC) -O1 $(SANFLAGS) $(INCLUDES) -U_FORTIFY_SOURCE -MMD -MP -c -o $@ $<

$(B)/fuzz/obj/%.o: %.c | $(CONF_H)
	@mkdir -p $(@D)
	$(FUZZCC) $(FUZZFLAGS) $(INCLUDES) -MMD -MP -c -o $@ $<

# musl: Debian's musl-tools; its wrapper compiles against musl's headers only, so a
# musl program cannot include skalibs or libqm by mistake.
MUSLCC := musl-gcc -fPIE $(wordlist 2,999,$(CC))
MUSLLIB := /usr/lib/$(shell gcc -dumpmachine | sed 's/-gnu$$/-musl/')
$(B)/musl/obj/%.o: %.c | $(CONF_H)
	@mkdir -p $(@D)
	$(MUSLCC) -I$(B)/include -MMD -MP -c -o $@ $<

objs = $(patsubst %.c,$(B)/$(1)obj/%.o,$(2))

$(B)/libqm.a: $(call objs,,$(LIBQM_SRCS))
	rm -f $@ && ar rcs $@ $^
$(B)/asan/libqm.a: $(call objs,asan/,$(LIBQM_SRCS))
	rm -f $@ && ar rcs $@ $^
$(B)/fuzz/libqm.a: $(call objs,fuzz/,$(LIBQM_SRCS))
	rm -f $@ && ar rcs $@ $^

# libs(name,flavour): what a binary links after its own objects. skalibs is linked
# from its static archive: every program is exec'd per message or per connection,
# and loading libskarnet.so at each start cost about 15% of qmail-queue's CPU.
libs = $($(1)_LIBS) $(if $($(1)_NOQM),,$(B)/$(2)libqm.a -l:libskarnet.a)
qmdep = $(if $($(1)_NOQM),,$(B)/$(2)libqm.a)

# static(name): name_STATIC := 1 links the C library statically too (static-pie, so
# address randomization stays). For the programs exec'd per message or connection
# that never use the name service: their start-up then skips the dynamic loader's
# relocations, about a quarter of an exec's cost. Any linker warning (such as one for
# getpwnam, which a static binary cannot use safely) fails the build.
static = $(if $($(1)_STATIC),-static-pie -Wl$(comma)--fatal-warnings)
comma := ,

# prog_rule(name,dir): dir is bin for programs, testbin for test helpers, bench for
# benchmark tools.
define prog_rule
$(B)/$(2)/$(1): $(call objs,,$($(1)_SRCS)) $(call qmdep,$(1),)
	@mkdir -p $$(@D)
	$(LD) $(call static,$(1)) -o $$@ $(call objs,,$($(1)_SRCS)) $(call libs,$(1),)
endef

# musl_rule(name,dir): for the few small programs started for every connection,
# whose start-up under glibc would cost more than their work: glibc's probes the
# processor with CPUID, which a hypervisor traps (0.46 against 0.22 ms for a fork,
# exec and exit of an empty program on the machine of bench/README.md). Linked
# static-pie by hand, since musl-gcc's own specs only link static without PIE.
define musl_rule
$(B)/$(2)/$(1): $(call objs,musl/,$($(1)_SRCS))
	@mkdir -p $$(@D)
	$(LD) -nostdlib -static-pie -o $$@ $(MUSLLIB)/rcrt1.o $(MUSLLIB)/crti.o \
	  $$$$(gcc -print-file-name=crtbeginS.o) $(call objs,musl/,$($(1)_SRCS)) -L$(MUSLLIB) -lc \
	  $$$$(gcc -print-libgcc-file-name) $$$$(gcc -print-file-name=crtendS.o) $(MUSLLIB)/crtn.o
endef

define unit_rule
$(B)/test/$(1): $(call objs,,$($(1)_SRCS)) $(call qmdep,$(1),)
	@mkdir -p $$(@D)
	$(LD) -o $$@ $(call objs,,$($(1)_SRCS)) $(call libs,$(1),) -lcmocka
$(B)/asan/test/$(1): $(call objs,asan/,$($(1)_SRCS)) $(call qmdep,$(1),asan/)
	@mkdir -p $$(@D)
	$(LD) $(SANFLAGS) -o $$@ $(call objs,asan/,$($(1)_SRCS)) $(call libs,$(1),asan/) -lcmocka
endef

define fuzz_rule
$(B)/fuzz/bin/$(1): $(call objs,fuzz/,$($(1)_SRCS)) $(call qmdep,$(1),fuzz/)
	@mkdir -p $$(@D)
	clang -fsanitize=fuzzer,address,undefined -o $$@ $(call objs,fuzz/,$($(1)_SRCS)) $(call libs,$(1),fuzz/)
endef

$(foreach p,$(PROGS),$(eval $(call $(if $($(p)_MUSL),musl_rule,prog_rule),$(p),bin)))
$(foreach p,$(BENCHPROGS),$(eval $(call prog_rule,$(p),bench)))
$(foreach t,$(TESTPROGS),$(eval $(call prog_rule,$(t),testbin)))
$(foreach u,$(UNITS),$(eval $(call unit_rule,$(u))))
$(foreach f,$(FUZZ),$(eval $(call fuzz_rule,$(f))))

ALL_BINS := $(addprefix $(B)/bin/,$(PROGS))
UNIT_BINS := $(addprefix $(B)/test/,$(UNITS))
TEST_BINS := $(addprefix $(B)/testbin/,$(TESTPROGS))
ASAN_BINS := $(addprefix $(B)/asan/test/,$(UNITS))
FUZZ_BINS := $(addprefix $(B)/fuzz/bin/,$(FUZZ))

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# --- targets ------------------------------------------------------------------------
.PHONY: all deps test check unit asan fuzz e2e install run clean bench-build

all: $(ALL_BINS) $(UNIT_BINS) $(TEST_BINS)

deps:
	@sh mk/deps.sh

# make test: everything a change must pass. The sub-make lets deps install the
# compilers and libraries before anything is built.
test: deps
	@$(MAKE) --no-print-directory -j$$(nproc) check

# Each suite runs even when an earlier one failed, one after the other so that
# their outputs do not mix; the run fails if any failed.
check: all $(ASAN_BINS) $(FUZZ_BINS)
	@fail=0; for s in unit asan fuzz e2e; do \
	  $(MAKE) --no-print-directory -j1 $$s || fail=1; done; exit $$fail

unit: $(UNIT_BINS)
	@sh mk/run-units.sh unit $(UNIT_BINS)

asan: $(ASAN_BINS)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	 sh mk/run-units.sh asan $(ASAN_BINS)

fuzz: $(FUZZ_BINS)
	@sh mk/run-fuzz.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

e2e: all
	@tests/e2e/run

# Benchmark tools (bench/README.md); the bench scripts call this themselves.
bench-build: $(addprefix $(B)/bench/,$(BENCHPROGS))

install: all
	@sh mk/install.sh $(B)

run: deps
	@$(MAKE) --no-print-directory all
	@sh mk/run.sh $(B)

clean:
	rm -rf $(B)
