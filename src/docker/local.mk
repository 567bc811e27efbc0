# libdkr: the Docker Engine API client (no Open MPI headers).
noinst_LTLIBRARIES += src/docker/libdkr.la
src_docker_libdkr_la_SOURCES = \
	src/docker/dkr.h \
	src/docker/dkr_libevent.h \
	src/docker/dkr_private.h \
	src/docker/dkr_error.c \
	src/docker/dkr_util.c \
	src/docker/dkr_endpoint.c \
	src/docker/dkr_client.c \
	src/docker/dkr_http.c \
	src/docker/dkr_result.c \
	src/docker/dkr_json.c \
	src/docker/dkr_demux.c \
	src/docker/dkr_exec.c \
	src/docker/dkr_run.c \
	src/docker/dkr_libevent.c
src_docker_libdkr_la_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JSONC_CFLAGS) $(LIBEVENT_CFLAGS)
src_docker_libdkr_la_LIBADD = $(CURL_LIBS) $(JSONC_LIBS) $(LIBEVENT_LIBS)
