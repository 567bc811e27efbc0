/*
 * ring: the MPI test program of the integration tests.
 *
 * Every rank prints "rank R of N on HOST" (HOST from MPI_Get_processor_name),
 * a token goes once around the ring (each rank adds its rank), then an
 * MPI_Allreduce of rank+1; rank 0 checks both and prints "ring ok: sum=S".
 *
 * Options (anything else on the command line is ignored, so that tests can
 * pass arbitrary words):
 *   --sleep SECONDS   sleep before MPI_Finalize (signal tests)
 *   --fail-rank K     rank K exits with code 3 after MPI_Init, without
 *                     MPI_Finalize (rank failure tests)
 *   --print-args      every rank prints its argv, one "arg[i]=<...>" line each
 *   --write FILE      rank 0 creates FILE (ownership tests)
 *   --fill-shm MB     rank 0 allocates a file of MB megabytes under /dev/shm
 *                     (posix_fallocate), prints "shm ok: MB MB" and removes
 *                     it; on failure it prints the errno text and the program
 *                     exits 4 (shared-memory size tests)
 *   --read FILE       rank 0 prints "read: LINE", LINE the first line of FILE
 *                     (mount tests); exit 1 if it cannot
 *   --print-env NAME  rank 0 prints "env: NAME=value" (or "env: NAME unset");
 *                     may be given several times
 *
 * Each rank writes its lines with one write(2), so that lines of different
 * ranks do not interleave.
 */
#include <mpi.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct opts {
    int sleep_s;
    int fail_rank;
    int print_args;
    const char *write_file;
    int fill_shm_mb;
    const char *read_file;
    const char *env_names[16];
    int n_env;
};

struct buf {
    char *p;
    size_t len, cap;
};

static void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    for (;;) {
        size_t room = b->cap - b->len;
        va_start(ap, fmt);
        n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0) {
            return;
        }
        if ((size_t) n < room) {
            b->len += (size_t) n;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap - b->len <= (size_t) n) {
            cap *= 2;
        }
        char *p = realloc(b->p, cap);
        if (NULL == p) {
            return;
        }
        b->p = p;
        b->cap = cap;
    }
}

/* Write the whole buffer with as few write(2) calls as the pipe allows. */
static void buf_flush(struct buf *b)
{
    size_t off = 0;

    while (off < b->len) {
        ssize_t n = write(STDOUT_FILENO, b->p + off, b->len - off);
        if (n < 0) {
            if (EINTR == errno) {
                continue;
            }
            break;
        }
        off += (size_t) n;
    }
    b->len = 0;
}

static int parse_int(const char *s, const char *opt)
{
    char *end = NULL;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (0 != errno || end == s || '\0' != *end || v < 0 || v > 1000000) {
        fprintf(stderr, "ring: bad value for %s: '%s'\n", opt, s);
        exit(2);
    }
    return (int) v;
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
    o->sleep_s = 0;
    o->fail_rank = -1;
    o->print_args = 0;
    o->write_file = NULL;
    o->fill_shm_mb = -1;
    o->read_file = NULL;
    o->n_env = 0;
    for (int i = 1; i < argc; i++) {
        if (0 == strcmp(argv[i], "--sleep") && i + 1 < argc) {
            o->sleep_s = parse_int(argv[++i], "--sleep");
        } else if (0 == strcmp(argv[i], "--fail-rank") && i + 1 < argc) {
            o->fail_rank = parse_int(argv[++i], "--fail-rank");
        } else if (0 == strcmp(argv[i], "--print-args")) {
            o->print_args = 1;
        } else if (0 == strcmp(argv[i], "--write") && i + 1 < argc) {
            o->write_file = argv[++i];
        } else if (0 == strcmp(argv[i], "--fill-shm") && i + 1 < argc) {
            o->fill_shm_mb = parse_int(argv[++i], "--fill-shm");
        } else if (0 == strcmp(argv[i], "--read") && i + 1 < argc) {
            o->read_file = argv[++i];
        } else if (0 == strcmp(argv[i], "--print-env") && i + 1 < argc) {
            if (o->n_env < (int) (sizeof(o->env_names) / sizeof(o->env_names[0]))) {
                o->env_names[o->n_env++] = argv[i + 1];
            }
            i++;
        }
    }
}

/* --fill-shm: a file of mb megabytes under /dev/shm, really allocated (a
 * tmpfs smaller than that refuses with ENOSPC). 0 if it worked, else 4. */
static int fill_shm(struct buf *out, int mb)
{
    char path[64];
    int fd, err;

    snprintf(path, sizeof(path), "/dev/shm/ring-fill.%ld", (long) getpid());
    fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        buf_printf(out, "shm FAILED: open %s: %s\n", path, strerror(errno));
        return 4;
    }
    err = posix_fallocate(fd, 0, (off_t) mb * 1024 * 1024);
    close(fd);
    unlink(path);
    if (0 != err) {
        buf_printf(out, "shm FAILED: posix_fallocate of %d MB in /dev/shm: %s\n", mb, strerror(err));
        return 4;
    }
    buf_printf(out, "shm ok: %d MB\n", mb);
    return 0;
}

/* --read: the first line of the file, without its newline. 0 or 1. */
static int read_first_line(struct buf *out, const char *file)
{
    char line[1024];
    FILE *f = fopen(file, "r");

    if (NULL == f) {
        buf_printf(out, "read FAILED: %s: %s\n", file, strerror(errno));
        return 1;
    }
    if (NULL == fgets(line, sizeof(line), f)) {
        line[0] = '\0';
    }
    fclose(f);
    line[strcspn(line, "\n")] = '\0';
    buf_printf(out, "read: %s\n", line);
    return 0;
}

int main(int argc, char **argv)
{
    struct opts o;
    struct buf out = {NULL, 0, 0};
    char host[MPI_MAX_PROCESSOR_NAME + 1];
    int rank, size, len = 0, rc = 0;

    parse_opts(argc, argv, &o);

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    memset(host, 0, sizeof(host));
    MPI_Get_processor_name(host, &len);

    buf_printf(&out, "rank %d of %d on %s\n", rank, size, host);
    if (o.print_args) {
        for (int i = 0; i < argc; i++) {
            buf_printf(&out, "arg[%d]=<%s>\n", i, argv[i]);
        }
    }
    buf_flush(&out);

    if (rank == o.fail_rank) {
        fprintf(stderr, "ring: rank %d exits with code 3 as asked (--fail-rank)\n", rank);
        fflush(stderr);
        _exit(3);
    }

    /* Token around the ring: rank 0 starts with 0, each rank adds its own. */
    int token = 0;
    if (size > 1) {
        int next = (rank + 1) % size, prev = (rank + size - 1) % size;
        if (0 == rank) {
            MPI_Send(&token, 1, MPI_INT, next, 17, MPI_COMM_WORLD);
            MPI_Recv(&token, 1, MPI_INT, prev, 17, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        } else {
            MPI_Recv(&token, 1, MPI_INT, prev, 17, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            token += rank;
            MPI_Send(&token, 1, MPI_INT, next, 17, MPI_COMM_WORLD);
        }
    }

    long mine = rank + 1, sum = 0;
    MPI_Allreduce(&mine, &sum, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);

    if (0 == rank) {
        long want_sum = (long) size * (size + 1) / 2;
        long want_token = (long) size * (size - 1) / 2;
        if (sum == want_sum && token == want_token) {
            buf_printf(&out, "ring ok: sum=%ld\n", sum);
        } else {
            buf_printf(&out, "ring FAILED: sum=%ld (want %ld) token=%d (want %ld)\n", sum,
                       want_sum, token, want_token);
            rc = 1;
        }
        for (int i = 0; i < o.n_env; i++) {
            const char *v = getenv(o.env_names[i]);
            if (NULL == v) {
                buf_printf(&out, "env: %s unset\n", o.env_names[i]);
            } else {
                buf_printf(&out, "env: %s=%s\n", o.env_names[i], v);
            }
        }
        if (NULL != o.read_file && 0 != read_first_line(&out, o.read_file)) {
            rc = 1;
        }
        if (o.fill_shm_mb >= 0) {
            int frc = fill_shm(&out, o.fill_shm_mb);
            if (0 != frc) {
                rc = frc;
            }
        }
        buf_flush(&out);

        if (NULL != o.write_file) {
            int fd = open(o.write_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd < 0 || write(fd, "ring\n", 5) != 5) {
                fprintf(stderr, "ring: couldn't write %s: %s\n", o.write_file, strerror(errno));
                rc = 1;
            }
            if (fd >= 0) {
                close(fd);
            }
        }
    }

    if (o.sleep_s > 0) {
        sleep((unsigned) o.sleep_s);
    }

    free(out.p);
    MPI_Finalize();
    return rc;
}
