# What both docker components share: the neutral parameter-table type, the
# endpoint messages, and (per runtime) a few glue helpers.
dist_help_DATA += src/mca/common/help-docker.txt
EXTRA_DIST += src/mca/common/dkr_mca_param.h

# -DDKR_HELPDIR: where our help files are installed, added to Open MPI's search;
# -DDKR_REAPER: the program that cleans up after a killed mpirun.
DKR_MCA_CPPFLAGS = $(DKR_OMPI_CPPFLAGS) -I$(top_srcdir)/src/docker -I$(top_srcdir)/src/launch \
	-I$(top_srcdir)/src/mca/common -DDKR_HELPDIR='"$(helpdir)"' \
	-DDKR_REAPER='"$(pkglibexecdir)/ompi-docker-reaper"'
DKR_MCA_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden $(LIBEVENT_CFLAGS) $(JSONC_CFLAGS)

# runtime-neutral: messages, endpoint, client set-up
noinst_LTLIBRARIES += src/mca/common/libdkrmca.la
src_mca_common_libdkrmca_la_SOURCES = \
	src/mca/common/dkr_mca.h \
	src/mca/common/dkr_mca.c
src_mca_common_libdkrmca_la_CPPFLAGS = -I$(top_srcdir)/src/docker -I$(top_srcdir)/src/mca/common
src_mca_common_libdkrmca_la_CFLAGS = $(DKR_MCA_CFLAGS)

if DKR_RT_ORTE
noinst_LTLIBRARIES += src/mca/common/libdkrorte.la
src_mca_common_libdkrorte_la_SOURCES = \
	src/mca/common/dkr_orte.h \
	src/mca/common/dkr_orte.c
src_mca_common_libdkrorte_la_CPPFLAGS = $(DKR_MCA_CPPFLAGS)
src_mca_common_libdkrorte_la_CFLAGS = $(DKR_MCA_CFLAGS)
# what a docker component DSO links
DKR_ORTE_LIBADD = src/mca/common/libdkrorte.la src/mca/common/libdkrmca.la \
	src/launch/libdkrlaunch.la src/docker/libdkr.la \
	$(DKR_OMPI_LIBS) -lopen-pal $(LIBEVENT_LIBS)
endif

# PRRTE (Open MPI 5): the same helpers on PRRTE's PMIx-based MCA base.
# DKR_OMPI_CPPFLAGS then carries the generated prte_config.h's directory,
# PRRTE's and PMIx's include directories (config/dkr_ompi.m4).
if DKR_RT_PRRTE
noinst_LTLIBRARIES += src/mca/common/libdkrprte.la
src_mca_common_libdkrprte_la_SOURCES = \
	src/mca/common/dkr_prte.h \
	src/mca/common/dkr_prte.c
src_mca_common_libdkrprte_la_CPPFLAGS = $(DKR_MCA_CPPFLAGS)
src_mca_common_libdkrprte_la_CFLAGS = $(DKR_MCA_CFLAGS)
# what a docker component DSO links (DKR_OMPI_LIBS: -lprrte and PMIx's)
DKR_PRTE_LIBADD = src/mca/common/libdkrprte.la src/mca/common/libdkrmca.la \
	src/launch/libdkrlaunch.la src/docker/libdkr.la \
	$(DKR_OMPI_LIBS) $(LIBEVENT_LIBS)
endif
