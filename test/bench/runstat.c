/*
 * runstat.c - runs one command (mpirun) and measures it for test/bench/launch:
 * wall time, CPU of the command and all its reaped descendants, the
 * command's own peak RSS, and when lines matching given patterns appeared
 * in its output.  No dependencies beyond libc.
 *
 *   runstat [-o OUT] [-T SECS] [-w PID]... [-m NAME=ERE]... [-M NAME=ERE]... -- CMD [ARG...]
 *
 *   -o OUT       the command's stdout+stderr (merged), each line prefixed
 *                with "[+SECONDS] ", the time since the start it arrived
 *   -T SECS      kill the command's process group (SIGTERM, SIGKILL 5 s
 *                later) after SECS seconds (default 300); rc is then 124
 *   -w PID       also report the CPU time PID used while the command ran
 *                (from /proc/PID/stat, clock ticks): e.g. dockerd; repeatable
 *   -m NAME=ERE  report when the first line matching ERE arrived (t_NAME)
 *   -M NAME=ERE  the same for the last matching line
 *
 * The command runs in a process group of its own, stdin from /dev/null.
 * SIGINT/SIGTERM to runstat are passed on to that group.  One result line
 * on stdout, key=value separated by blanks:
 *
 *   rc=0 wall=1.234567 cpu=0.123 user=0.080 sys=0.043 self_cpu=0.09
 *   hwm_kb=21800 tree_maxrss_kb=41000 watch_cpu=0.35 t_NAME=0.812 ...
 *   start_epoch=1795436791.123456 start_mono=81234.567890
 *
 * cpu/user/sys: getrusage of the command and every descendant it (or they)
 * reaped (wait4), microsecond resolution; self_cpu: the command's own share
 * (utime+stime of its zombie, clock ticks); hwm_kb: the command's own peak
 * RSS (VmHWM, sampled every 5 ms while it runs: it only grows);
 * tree_maxrss_kb: the largest peak RSS of the command or any reaped
 * descendant; t_NAME: seconds since the start, -1 when no line matched;
 * start_epoch, start_mono: the start on the real-time and the monotonic
 * clock (to place events that other tools timestamp, e.g. inside the
 * containers or perf -k mono, on the same time line).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_MARKS 32
#define MAX_WATCH 1024

typedef struct mark {
    const char *name;
    regex_t re;
    int last;      /* -M */
    double t;
} mark_t;

static mark_t marks[MAX_MARKS];
static int n_marks;
static volatile sig_atomic_t got_signal;

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_signal(int sig)
{
    got_signal = sig;
}

static void usage(void)
{
    fprintf(stderr, "usage: runstat [-o OUT] [-T SECS] [-w PID]... [-m NAME=ERE]... "
                    "[-M NAME=ERE]... -- CMD [ARG...]\n");
    exit(2);
}

static void add_mark(char *spec, int last)
{
    char *eq = strchr(spec, '=');

    if (NULL == eq || n_marks == MAX_MARKS) {
        usage();
    }
    *eq = '\0';
    marks[n_marks].name = spec;
    marks[n_marks].last = last;
    marks[n_marks].t = -1;
    if (0 != regcomp(&marks[n_marks].re, eq + 1, REG_EXTENDED | REG_NOSUB)) {
        fprintf(stderr, "runstat: bad pattern %s\n", eq + 1);
        exit(2);
    }
    n_marks++;
}

/* utime+stime of a process, in seconds (-1 when unreadable); children
 * too when with_children. */
static double proc_cpu(pid_t pid, int with_children)
{
    char path[64], buf[2048], *p;
    unsigned long long ut, st;
    long long cut, cst;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if (NULL == (f = fopen(path, "r"))) {
        return -1;
    }
    p = fgets(buf, sizeof(buf), f);
    fclose(f);
    if (NULL == p || NULL == (p = strrchr(buf, ')'))) {
        return -1;
    }
    /* after ")": state(3) ppid pgrp session tty tpgid flags minflt cminflt
     * majflt cmajflt utime(14) stime cutime cstime */
    if (4 != sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %lld %lld", &ut,
                    &st, &cut, &cst)) {
        return -1;
    }
    return (double)(ut + st + (with_children ? (unsigned long long)(cut + cst) : 0))
           / (double)sysconf(_SC_CLK_TCK);
}

static long proc_hwm_kb(pid_t pid)
{
    char path[64], line[256];
    long kb = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    if (NULL == (f = fopen(path, "r"))) {
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        if (0 == strncmp(line, "VmHWM:", 6)) {
            kb = strtol(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

/* ------------------------------------------------------------- output */

static char linebuf[1 << 16];
static size_t linelen;
static FILE *out;
static double t0;

static void line_done(double t)
{
    linebuf[linelen] = '\0';
    if (NULL != out) {
        fprintf(out, "[+%.6f] %s\n", t, linebuf);
    }
    for (int i = 0; i < n_marks; i++) {
        if ((marks[i].last || marks[i].t < 0) && 0 == regexec(&marks[i].re, linebuf, 0, NULL, 0)) {
            marks[i].t = t;
        }
    }
    linelen = 0;
}

/* Reads what is there; 0 at EOF. */
static int drain(int fd)
{
    char buf[8192];
    ssize_t n = read(fd, buf, sizeof(buf));
    double t = now() - t0;

    if (n < 0) {
        return EAGAIN == errno || EINTR == errno;
    }
    if (0 == n) {
        if (linelen > 0) {
            line_done(t);
        }
        return 0;
    }
    for (ssize_t i = 0; i < n; i++) {
        if ('\n' == buf[i] || linelen == sizeof(linebuf) - 1) {
            line_done(t);
            if ('\n' == buf[i]) {
                continue;
            }
        }
        linebuf[linelen++] = buf[i];
    }
    return 1;
}

int main(int argc, char **argv)
{
    const char *outpath = NULL;
    static double watch0[MAX_WATCH];
    static pid_t watch[MAX_WATCH];
    double timeout = 300, watch_cpu = 0, self_cpu = -1, t_end;
    pid_t pid;
    int n_watch = 0, opt, pfd[2], status = 0, rc, open_pipe = 1, killed = 0;
    long hwm = -1, v;
    struct rusage ru;
    struct sigaction sa;
    double kill_at = 0;

    while (-1 != (opt = getopt(argc, argv, "+o:T:w:m:M:"))) {
        switch (opt) {
        case 'o': outpath = optarg; break;
        case 'T': timeout = atof(optarg); break;
        case 'w':
            if (n_watch == MAX_WATCH) {
                fprintf(stderr, "runstat: more than %d -w\n", MAX_WATCH);
                exit(2);
            }
            watch[n_watch++] = (pid_t)atoi(optarg);
            break;
        case 'm': add_mark(optarg, 0); break;
        case 'M': add_mark(optarg, 1); break;
        default: usage();
        }
    }
    if (optind >= argc) {
        usage();
    }
    if (NULL != outpath && NULL == (out = fopen(outpath, "w"))) {
        perror(outpath);
        return 2;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    if (0 != pipe2(pfd, O_CLOEXEC)) {
        perror("pipe");
        return 2;
    }
    for (int i = 0; i < n_watch; i++) {
        watch0[i] = proc_cpu(watch[i], 0);
    }
    struct timespec epoch0;
    clock_gettime(CLOCK_REALTIME, &epoch0);
    t0 = now();
    if (0 == (pid = fork())) {
        int null = open("/dev/null", O_RDONLY);

        setpgid(0, 0);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        dup2(null, 0);
        dup2(pfd[1], 1);
        dup2(pfd[1], 2);
        execvp(argv[optind], argv + optind);
        fprintf(stderr, "runstat: %s: %s\n", argv[optind], strerror(errno));
        _exit(127);
    }
    if (pid < 0) {
        perror("fork");
        return 2;
    }
    setpgid(pid, pid);
    close(pfd[1]);
    fcntl(pfd[0], F_SETFL, O_NONBLOCK);

    /* until the command exits: its output, its peak RSS, the time limit */
    for (;;) {
        struct pollfd p = { pfd[0], POLLIN, 0 };
        siginfo_t si;

        if (open_pipe && poll(&p, 1, 5) > 0) {
            open_pipe = drain(pfd[0]);
        } else if (!open_pipe) {
            usleep(5000);
        }
        if ((v = proc_hwm_kb(pid)) > hwm) {
            hwm = v;
        }
        memset(&si, 0, sizeof(si));
        if (0 == waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) && si.si_pid == pid) {
            break;
        }
        double t = now() - t0;
        if (got_signal && !killed) {
            kill(-pid, got_signal);
            killed = 1;
            kill_at = t + 5;
        } else if (!killed && t > timeout) {
            kill(-pid, SIGTERM);
            killed = 2;
            kill_at = t + 5;
        } else if (killed && t > kill_at) {
            kill(-pid, SIGKILL);
            kill_at = t + 1e9;
        }
    }
    t_end = now() - t0;
    self_cpu = proc_cpu(pid, 0);    /* the zombie's own share */
    for (int i = 0; i < n_watch; i++) {
        double c = proc_cpu(watch[i], 0);
        if (c >= 0 && watch0[i] >= 0) {
            watch_cpu += c - watch0[i];
        }
    }
    if (pid != wait4(pid, &status, 0, &ru)) {
        perror("wait4");
        return 2;
    }
    /* what is left of the output (a daemonized grandchild may hold the
     * pipe open: do not wait for it long) */
    for (double until = now() + 0.2; open_pipe && now() < until;) {
        struct pollfd p = { pfd[0], POLLIN, 0 };
        if (poll(&p, 1, 20) > 0) {
            open_pipe = drain(pfd[0]);
        }
    }
    if (linelen > 0) {
        line_done(now() - t0);
    }
    if (NULL != out) {
        fclose(out);
    }

    if (2 == killed) {
        rc = 124;
    } else if (WIFEXITED(status)) {
        rc = WEXITSTATUS(status);
    } else {
        rc = 128 + WTERMSIG(status);
    }
    double user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
    double sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    printf("rc=%d wall=%.6f cpu=%.4f user=%.4f sys=%.4f self_cpu=%.2f hwm_kb=%ld tree_maxrss_kb=%ld",
           rc, t_end, user + sys, user, sys, self_cpu, hwm, ru.ru_maxrss);
    if (n_watch > 0) {
        printf(" watch_cpu=%.2f", watch_cpu);
    }
    for (int i = 0; i < n_marks; i++) {
        printf(" t_%s=%.6f", marks[i].name, marks[i].t);
    }
    printf(" start_epoch=%lld.%06ld start_mono=%.6f\n", (long long)epoch0.tv_sec,
           epoch0.tv_nsec / 1000, t0);
    return 1 == killed ? 130 : 0;
}
