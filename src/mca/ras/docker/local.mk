# ras docker: containers discovered as the allocation (mca_ras_docker.so for ORTE).
dist_help_DATA += src/mca/ras/docker/help-ras-docker.txt

if DKR_RT_ORTE
mca_LTLIBRARIES += src/mca/ras/docker/mca_ras_docker.la
src_mca_ras_docker_mca_ras_docker_la_SOURCES = \
	src/mca/ras/docker/ras_docker.h \
	src/mca/ras/docker/ras_docker_params.c \
	src/mca/ras/docker/ras_docker_core.c \
	src/mca/ras/docker/ras_docker_orte.h \
	src/mca/ras/docker/ras_docker_component_orte.c \
	src/mca/ras/docker/ras_docker_module_orte.c
src_mca_ras_docker_mca_ras_docker_la_CPPFLAGS = $(DKR_MCA_CPPFLAGS)
src_mca_ras_docker_mca_ras_docker_la_CFLAGS = $(DKR_MCA_CFLAGS)
src_mca_ras_docker_mca_ras_docker_la_LDFLAGS = -module -avoid-version -no-undefined \
	-export-symbols-regex '^mca_ras_docker_component$$'
src_mca_ras_docker_mca_ras_docker_la_LIBADD = $(DKR_ORTE_LIBADD)
endif

# PRRTE (Open MPI 5): prte_mca_ras_docker.so, exporting prte_mca_ras_docker_component.
if DKR_RT_PRRTE
mca_LTLIBRARIES += src/mca/ras/docker/prte_mca_ras_docker.la
src_mca_ras_docker_prte_mca_ras_docker_la_SOURCES = \
	src/mca/ras/docker/ras_docker.h \
	src/mca/ras/docker/ras_docker_params.c \
	src/mca/ras/docker/ras_docker_core.c \
	src/mca/ras/docker/ras_docker_prte.h \
	src/mca/ras/docker/ras_docker_component_prte.c \
	src/mca/ras/docker/ras_docker_module_prte.c
src_mca_ras_docker_prte_mca_ras_docker_la_CPPFLAGS = $(DKR_MCA_CPPFLAGS)
src_mca_ras_docker_prte_mca_ras_docker_la_CFLAGS = $(DKR_MCA_CFLAGS)
src_mca_ras_docker_prte_mca_ras_docker_la_LDFLAGS = -module -avoid-version -no-undefined \
	-export-symbols-regex '^prte_mca_ras_docker_component$$'
src_mca_ras_docker_prte_mca_ras_docker_la_LIBADD = $(DKR_PRTE_LIBADD)
endif
