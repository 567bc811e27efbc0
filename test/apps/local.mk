# Test programs of the integration tests (test/integration, scripts/).
#
# fake_endpoint: a server that is not a working Docker engine, for the
# bad-endpoint tests. No MPI; built by `make check`.
check_PROGRAMS += test/apps/fake_endpoint
test_apps_fake_endpoint_SOURCES = test/apps/fake_endpoint.c

# ring.c is an MPI program that runs inside the test containers:
# scripts/lib/image.sh compiles it with mpicc into the test image, so it is
# not built here.
EXTRA_DIST += test/apps/ring.c
