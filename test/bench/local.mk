# The launch benchmark (test/bench/launch, run on demand, never by make
# check). Its two helpers are built with the test programs (`make check`, or
# `make test/bench/engine_execs test/bench/runstat`); test/bench/launch
# compiles them itself when no up-to-date build is found.
#
# engine_execs: N bare execs created and started in parallel by one libdkr
# client (the engine's own time).  runstat: runs mpirun and measures wall
# time, CPU of it and its children, its peak RSS, and when marker lines
# appeared in its output.
check_PROGRAMS += test/bench/engine_execs test/bench/runstat
test_bench_engine_execs_SOURCES = test/bench/engine_execs.c
test_bench_engine_execs_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/src/docker $(CURL_CFLAGS) \
	$(JSONC_CFLAGS) $(LIBEVENT_CFLAGS)
test_bench_engine_execs_LDADD = src/docker/libdkr.la $(CURL_LIBS) $(JSONC_LIBS) $(LIBEVENT_LIBS)
test_bench_runstat_SOURCES = test/bench/runstat.c

EXTRA_DIST += test/bench/launch test/bench/agent-curl.sh test/bench/agent-nsenter.sh \
	test/bench/bench-ns.sh test/bench/README.md
