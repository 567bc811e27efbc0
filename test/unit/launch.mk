# Unit tests of the launch planning (no Docker, no MPI).
if HAVE_CMOCKA
check_PROGRAMS += test/unit/test_plan
TESTS += test/unit/test_plan
test_unit_test_plan_SOURCES = test/unit/test_plan.c
test_unit_test_plan_CPPFLAGS = -I$(top_srcdir)/src/docker -I$(top_srcdir)/src/launch
test_unit_test_plan_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
test_unit_test_plan_LDADD = src/launch/libdkrlaunch.la src/docker/libdkr.la $(CMOCKA_LIBS)
endif

if HAVE_CMOCKA
check_PROGRAMS += test/unit/test_launch
TESTS += test/unit/test_launch
test_unit_test_launch_SOURCES = test/unit/test_launch.c test/unit/fake_dockerd.c test/unit/fake_dockerd.h
test_unit_test_launch_CPPFLAGS = -I$(top_srcdir)/src/docker -I$(top_srcdir)/src/launch
test_unit_test_launch_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JSONC_CFLAGS) $(LIBEVENT_CFLAGS)
test_unit_test_launch_LDADD = src/launch/libdkrlaunch.la src/docker/libdkr.la $(CMOCKA_LIBS) \
	$(JSONC_LIBS) $(CURL_LIBS) $(LIBEVENT_LIBS) -lpthread
endif

if HAVE_CMOCKA
check_PROGRAMS += test/unit/test_jobc
TESTS += test/unit/test_jobc
test_unit_test_jobc_SOURCES = test/unit/test_jobc.c test/unit/fake_dockerd.c test/unit/fake_dockerd.h
test_unit_test_jobc_CPPFLAGS = -I$(top_srcdir)/src/docker -I$(top_srcdir)/src/launch
test_unit_test_jobc_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JSONC_CFLAGS) $(LIBEVENT_CFLAGS)
test_unit_test_jobc_LDADD = src/launch/libdkrlaunch.la src/docker/libdkr.la $(CMOCKA_LIBS) \
	$(JSONC_LIBS) $(CURL_LIBS) $(LIBEVENT_LIBS) -lpthread
endif

if HAVE_CMOCKA
check_PROGRAMS += test/unit/test_watch
TESTS += test/unit/test_watch
test_unit_test_watch_SOURCES = test/unit/test_watch.c test/unit/fake_dockerd.c test/unit/fake_dockerd.h
test_unit_test_watch_CPPFLAGS = -I$(top_srcdir)/src/docker -I$(top_srcdir)/src/launch
test_unit_test_watch_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JSONC_CFLAGS) $(LIBEVENT_CFLAGS)
test_unit_test_watch_LDADD = src/launch/libdkrlaunch.la src/docker/libdkr.la $(CMOCKA_LIBS) \
	$(JSONC_LIBS) $(CURL_LIBS) $(LIBEVENT_LIBS) -lpthread
check_PROGRAMS += test/unit/test_swarm
TESTS += test/unit/test_swarm
test_unit_test_swarm_SOURCES = test/unit/test_swarm.c
test_unit_test_swarm_CPPFLAGS = -I$(top_srcdir)/src/docker -I$(top_srcdir)/src/launch
test_unit_test_swarm_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JSONC_CFLAGS)
test_unit_test_swarm_LDADD = src/launch/libdkrlaunch.la src/docker/libdkr.la $(CMOCKA_LIBS) \
	$(JSONC_LIBS) $(CURL_LIBS) $(LIBEVENT_LIBS)
endif
