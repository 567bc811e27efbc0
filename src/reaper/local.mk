# ompi-docker-reaper: removes a job's containers and network after mpirun,
# also when mpirun was killed (started by plm docker, see its header).
pkglibexec_PROGRAMS = src/reaper/ompi-docker-reaper
src_reaper_ompi_docker_reaper_SOURCES = src/reaper/ompi-docker-reaper.c
src_reaper_ompi_docker_reaper_CPPFLAGS = -I$(top_srcdir)/src/docker -I$(top_srcdir)/src/launch
src_reaper_ompi_docker_reaper_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(LIBEVENT_CFLAGS)
src_reaper_ompi_docker_reaper_LDADD = src/launch/libdkrlaunch.la src/docker/libdkr.la \
	$(JSONC_LIBS) $(CURL_LIBS) $(LIBEVENT_LIBS)
