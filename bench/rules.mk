# bench/: benchmark tools, built by `make bench-build` into build/bench/, never by
# `make all`, never installed, never run by `make test` (see bench/README.md).
BENCHPROGS += commitrate injectrate localrate tlsrate
commitrate_SRCS := bench/commitrate.c bench/bench_util.c
commitrate_NOQM := 1
injectrate_SRCS := bench/injectrate.c bench/bench_util.c
injectrate_NOQM := 1
localrate_SRCS := bench/localrate.c bench/bench_util.c
localrate_NOQM := 1
tlsrate_SRCS := bench/tlsrate.c bench/bench_util.c
tlsrate_NOQM := 1
tlsrate_LIBS := -lssl -lcrypto
