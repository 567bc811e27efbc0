# start_paths: job-owned containers, daemon as the container's command versus
# a holder plus exec (run on demand: test/bench/start_paths -h).
check_PROGRAMS += test/bench/start_paths
test_bench_start_paths_SOURCES = test/bench/start_paths.c
test_bench_start_paths_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/src/docker $(JSONC_CFLAGS) $(LIBEVENT_CFLAGS)
test_bench_start_paths_LDADD = src/docker/libdkr.la $(CURL_LIBS) $(JSONC_LIBS) $(LIBEVENT_LIBS)
