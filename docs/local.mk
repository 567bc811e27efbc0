# Documentation installed by `make install`: the manual page ompi-docker(7)
# and the pages of docs/ (in $(docdir)).
#
# The manual page is made from docs/ompi-docker.7.in and the parameter
# tables of docs/mca-params.md (which `scripts/params-doc.sh --check` keeps
# equal to what ompi_info shows), with this build's install paths; it is
# built, not distributed, so it always matches the tree and the paths.
nodist_man_MANS = ompi-docker.7
ompi-docker.7: $(srcdir)/docs/ompi-docker.7.in $(srcdir)/docs/mca-params.md $(srcdir)/scripts/gen-man.sh
	$(AM_V_GEN)$(SHELL) $(srcdir)/scripts/gen-man.sh $(srcdir)/docs/ompi-docker.7.in \
	  $(srcdir)/docs/mca-params.md '$(PACKAGE_VERSION)' '$(mcadir)' '$(helpdir)' \
	  '$(pkglibexecdir)' >$@.tmp && mv $@.tmp $@
CLEANFILES += ompi-docker.7 ompi-docker.7.tmp
all-local: ompi-docker.7

dist_doc_DATA = README.md docs/user-guide.md docs/architecture.md docs/troubleshooting.md \
	docs/mca-params.md docs/design.md docs/prrte.md docs/podman.md docs/slurm.md

# Every help topic the components can print has its entry in
# docs/troubleshooting.md.
TESTS += scripts/check-troubleshooting.sh
