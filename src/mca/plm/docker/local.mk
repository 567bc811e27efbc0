# plm docker: the launcher component (mca_plm_docker.so for ORTE).
dist_help_DATA += src/mca/plm/docker/help-plm-docker.txt

if DKR_RT_ORTE
mca_LTLIBRARIES += src/mca/plm/docker/mca_plm_docker.la
src_mca_plm_docker_mca_plm_docker_la_SOURCES = \
	src/mca/plm/docker/plm_docker.h \
	src/mca/plm/docker/plm_docker_params.c \
	src/mca/plm/docker/plm_docker_core.c \
	src/mca/plm/docker/plm_docker_orte.h \
	src/mca/plm/docker/plm_docker_component_orte.c \
	src/mca/plm/docker/plm_docker_module_orte.c
src_mca_plm_docker_mca_plm_docker_la_CPPFLAGS = $(DKR_MCA_CPPFLAGS)
src_mca_plm_docker_mca_plm_docker_la_CFLAGS = $(DKR_MCA_CFLAGS)
src_mca_plm_docker_mca_plm_docker_la_LDFLAGS = -module -avoid-version -no-undefined \
	-export-symbols-regex '^mca_plm_docker_component$$'
src_mca_plm_docker_mca_plm_docker_la_LIBADD = $(DKR_ORTE_LIBADD)
endif

# PRRTE (Open MPI 5): PRRTE loads only files named prte_mca_<framework>_<name>.so
# that export prte_mca_<framework>_<name>_component.
if DKR_RT_PRRTE
mca_LTLIBRARIES += src/mca/plm/docker/prte_mca_plm_docker.la
src_mca_plm_docker_prte_mca_plm_docker_la_SOURCES = \
	src/mca/plm/docker/plm_docker.h \
	src/mca/plm/docker/plm_docker_params.c \
	src/mca/plm/docker/plm_docker_core.c \
	src/mca/plm/docker/plm_docker_prte.h \
	src/mca/plm/docker/plm_docker_component_prte.c \
	src/mca/plm/docker/plm_docker_module_prte.c
src_mca_plm_docker_prte_mca_plm_docker_la_CPPFLAGS = $(DKR_MCA_CPPFLAGS)
src_mca_plm_docker_prte_mca_plm_docker_la_CFLAGS = $(DKR_MCA_CFLAGS)
src_mca_plm_docker_prte_mca_plm_docker_la_LDFLAGS = -module -avoid-version -no-undefined \
	-export-symbols-regex '^prte_mca_plm_docker_component$$'
src_mca_plm_docker_prte_mca_plm_docker_la_LIBADD = $(DKR_PRTE_LIBADD)
endif
