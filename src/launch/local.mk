# libdkrlaunch: launch planning, daemon start-up and node discovery,
# runtime-neutral.
noinst_LTLIBRARIES += src/launch/libdkrlaunch.la
src_launch_libdkrlaunch_la_SOURCES = \
	src/launch/dkr_plan.h \
	src/launch/dkr_plan.c \
	src/launch/dkr_launch.h \
	src/launch/dkr_launch.c \
	src/launch/dkr_discover.h \
	src/launch/dkr_discover.c \
	src/launch/dkr_jobc.h \
	src/launch/dkr_jobc.c \
	src/launch/dkr_watch.h \
	src/launch/dkr_watch.c \
	src/launch/dkr_swarm.h \
	src/launch/dkr_swarm.c
src_launch_libdkrlaunch_la_CPPFLAGS = -I$(top_srcdir)/src/docker
src_launch_libdkrlaunch_la_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(LIBEVENT_CFLAGS)
# linked by its users together with src/docker/libdkr.la (convenience libraries must not nest)
