# Unit tests: no Docker, no MPI.  test_http talks to an in-process fake
# server (fake_dockerd.c) on a unix socket in a temp dir.
if HAVE_CMOCKA
unit_cflags = $(AM_CFLAGS) -I$(srcdir)/src/docker $(CMOCKA_CFLAGS) $(JSONC_CFLAGS) \
	$(CURL_CFLAGS) $(LIBEVENT_CFLAGS)
unit_ldadd = src/docker/libdkr.la $(CMOCKA_LIBS) $(JSONC_LIBS) $(CURL_LIBS) $(LIBEVENT_LIBS)

check_PROGRAMS += test/unit/test_endpoint test/unit/test_json test/unit/test_demux \
	test/unit/test_http
TESTS += test/unit/test_endpoint test/unit/test_json test/unit/test_demux \
	test/unit/test_http

test_unit_test_endpoint_SOURCES = test/unit/test_endpoint.c
test_unit_test_endpoint_CFLAGS = $(unit_cflags)
test_unit_test_endpoint_LDADD = $(unit_ldadd)

test_unit_test_json_SOURCES = test/unit/test_json.c test/unit/fixtures.h test/unit/fixtures_podman.h
test_unit_test_json_CFLAGS = $(unit_cflags)
test_unit_test_json_LDADD = $(unit_ldadd)

test_unit_test_demux_SOURCES = test/unit/test_demux.c
test_unit_test_demux_CFLAGS = $(unit_cflags)
test_unit_test_demux_LDADD = $(unit_ldadd)

test_unit_test_http_SOURCES = test/unit/test_http.c test/unit/fake_dockerd.c \
	test/unit/fake_dockerd.h
test_unit_test_http_CFLAGS = $(unit_cflags)
test_unit_test_http_LDADD = $(unit_ldadd) -lpthread
endif

# Against the real engine; built by `make check`, never run by it (see the
# file's header for how to run it).
check_PROGRAMS += test/unit/dkr_live
test_unit_dkr_live_SOURCES = test/unit/dkr_live.c
test_unit_dkr_live_CFLAGS = $(AM_CFLAGS) -I$(srcdir)/src/docker $(JSONC_CFLAGS) $(LIBEVENT_CFLAGS)
test_unit_dkr_live_LDADD = src/docker/libdkr.la $(JSONC_LIBS) $(CURL_LIBS) $(LIBEVENT_LIBS)
