/*
 * ompi-docker-reaper - removes a job's containers and network once the
 * mpirun that made them is gone, whichever way it went.
 *
 * plm docker starts it (double-forked, in its own session) with the read end
 * of a pipe on --fd; only mpirun holds the write end.  End of file on it means
 * mpirun finished or died (even by SIGKILL); then everything labelled with
 * the job is removed: the containers once they have ended (their daemons
 * leave when mpirun goes) or after --wait-ms by force, then the network.
 * When mpirun cleaned up itself, there is nothing left to do.
 *
 * No shell and no docker CLI: the Engine API through libdkr.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dkr.h"
#include "dkr_jobc.h"

static void usage(void)
{
    fprintf(stderr, "usage: ompi-docker-reaper --host URL --job TAG [--fd N] [--wait-ms MS] "
                    "[--timeout-ms MS] [--tls-verify|--tls] [--cert-path DIR] [--keep]\n"
                    "  waits for end of file on fd N (default 3; with --fd -1, not at all), then\n"
                    "  removes the containers and networks labelled ompi-docker.job=TAG\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *host = NULL, *job = NULL, *certs = NULL;
    int fd = 3, wait_ms = 15000, timeout_ms = 30000, keep = 0, left = 0, rc;
    dkr_tls_opts_t tls = { .verify = 0, .cert_path = NULL };
    dkr_endpoint_t *ep = NULL;
    char err[512], buf[64];

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (0 == strcmp(a, "--keep")) {
            keep = 1;
        } else if (0 == strcmp(a, "--tls-verify")) {
            tls.verify = 1;
        } else if (0 == strcmp(a, "--tls")) {
            tls.verify = 0;
        } else if (NULL == v) {
            usage();
        } else if (0 == strcmp(a, "--host")) {
            host = v, i++;
        } else if (0 == strcmp(a, "--job")) {
            job = v, i++;
        } else if (0 == strcmp(a, "--cert-path")) {
            certs = v, i++;
        } else if (0 == strcmp(a, "--fd")) {
            fd = atoi(v), i++;
        } else if (0 == strcmp(a, "--wait-ms")) {
            wait_ms = atoi(v), i++;
        } else if (0 == strcmp(a, "--timeout-ms")) {
            timeout_ms = atoi(v), i++;
        } else {
            usage();
        }
    }
    if (NULL == host || NULL == job || '\0' == job[0]) {
        usage();
    }
    tls.cert_path = certs;
    if (DKR_OK != dkr_endpoint_parse(host, &tls, &ep, err, sizeof(err))) {
        fprintf(stderr, "ompi-docker-reaper: %s\n", err);
        return 2;
    }
    /* mpirun's terminal and signals are not ours */
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    while (fd >= 0) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (0 == n || (n < 0 && EINTR != errno)) {
            break;
        }
    }
    rc = dkr_jobc_cleanup(ep, job, keep, wait_ms, timeout_ms, &left, err, sizeof(err));
    dkr_endpoint_free(ep);
    if (DKR_OK != rc) {
        fprintf(stderr, "ompi-docker-reaper: job %s on %s: %s (%d left)\n", job, host, err, left);
        return 1;
    }
    return 0;
}
