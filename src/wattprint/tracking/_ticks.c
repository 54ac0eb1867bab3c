/*
 * wattprint.tracking._ticks: the sampling thread's idle ticks, outside Python.
 *
 * While every power source is a model read for a moment (a VM, a container),
 * a tick of the sampling thread only needs the raw bytes of a few procfs files
 * (/proc/stat, the tracked processes' stat files) and the time they were read.
 * Waking the Python interpreter once a second for that costs several times the
 * reads themselves (its caches are cold each time), so this function waits and
 * reads with the GIL released, for up to a batch of ticks, and hands the raw
 * bytes back; Python works them out later, each as at its own moment.
 *
 * gather(bell_fd, fds, pids, due_s, interval_s, max_ticks, until_s, watch_fd, watch_pid,
 *        self_at, statm_fd) -> (ticks, reason, due_s, pid, parents)
 *
 *   bell_fd     an eventfd (or pipe) that becomes readable when a caller wants
 *               the thread: the wait ends at once (reason RUNG); it is not read.
 *   fds         descriptors to read with pread at each tick (may be empty: then a
 *               tick is only the wait).
 *   pids        the tracked processes (for new processes: see watch_fd).
 *   due_s       when the first tick is due (time.monotonic()). Units: s.
 *   interval_s  time between ticks; the next is due interval_s after a tick.
 *   max_ticks   ticks to take at most (reason DONE after the last one).
 *   until_s     no tick is waited for at or after this moment (reason DONE).
 *   watch_fd    /proc/loadavg (or -1): its last field is the newest process id,
 *               read after the files. Each process created since watch_pid is
 *               looked up in /proc: one whose parent is tracked ends the call
 *               (reason CHANGED) and its parent is in ``parents``. Where that
 *               cannot be told (too many new ids, the ids wrapped), the call ends
 *               with ``parents`` None: look everywhere.
 *   self_at     the index in fds of this process's own stat file, or -1: its
 *               figures are then taken from times() and statm_fd (this
 *               process's /proc/PID/statm), a fraction of what formatting its
 *               stat file costs the kernel, as b"self <clock ticks> <rss pages>"
 *               (utime + stime + cutime + cstime: the sum its stat file gives).
 *   ticks       a list of (monotonic_s, wall_s, (bytes or None, ...)); None where
 *               a read failed (that also ends the call, reason CHANGED).
 *   due_s       when the next tick is due.
 *   pid         the newest process id looked at (watch_pid when none was read).
 *   parents     the tracked parents of new processes: a tuple, or None.
 *
 * die_with_parent(signum) -> None
 *
 *   prctl(PR_SET_PDEATHSIG, signum): this process gets signum when the thread
 *   that forked it ends (wattprint run's command, between its fork and its
 *   exec). Here so that wattprint run need not load ctypes for one call.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#ifdef __linux__
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

enum { DONE = 0, RUNG = 1, CHANGED = 2 };

typedef struct {
    double mono, wall;
    char **data; /* one buffer per fd, NULL where the read failed */
    ssize_t *len;
} tick_t;

static double now_of(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Read the whole of fd from offset 0 into *buf (grown as needed); -1 on error. */
static ssize_t read_whole(int fd, char **buf, size_t *cap) {
    for (;;) {
        ssize_t n = pread(fd, *buf, *cap, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if ((size_t)n < *cap) return n;
        size_t bigger = *cap * 4;
        char *grown = realloc(*buf, bigger);
        if (grown == NULL) return -1;
        *buf = grown;
        *cap = bigger;
    }
}

/* The last field of /proc/loadavg: the newest process id (-1 if unreadable). */
static long newest_pid(int fd) {
    char text[128];
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    if (n <= 0) return -1;
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' ')) n--;
    text[n] = '\0';
    char *last = strrchr(text, ' ');
    return strtol(last != NULL ? last + 1 : text, NULL, 10);
}

/* The parent of process ``pid`` from /proc/PID/stat (-1: gone or unreadable). */
static long parent_of(long pid) {
    char path[64], text[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0) return -1;
    text[n] = '\0';
    char *end = strrchr(text, ')'); /* the command name may hold spaces or ')' */
    if (end == NULL || end[1] == '\0' || end[2] == '\0') return -1;
    char *after_state = strchr(end + 3, ' ');
    return after_state == NULL ? -1 : strtol(after_state + 1, NULL, 10);
}

enum { MAX_NEW = 64 }; /* new process ids looked up per tick; more: look everywhere */

/* Look up the processes created after *last up to newest; add tracked parents to found.
 * Returns 1 when the call should end (a tracked parent, or too many to tell: *unsure). */
static int new_processes(long *last, long newest, const long *pids, Py_ssize_t npids,
                         long *found, Py_ssize_t *nfound, int *unsure) {
    if (newest == *last || newest < 0) return 0;
    long from = *last;
    *last = newest;
    if (newest < from || newest - from > MAX_NEW) {
        *unsure = 1;
        return 1;
    }
    for (long p = from + 1; p <= newest; p++) {
        long parent = parent_of(p);
        for (Py_ssize_t i = 0; parent > 0 && i < npids; i++) {
            if (pids[i] != parent) continue;
            Py_ssize_t k = 0;
            while (k < *nfound && found[k] != parent) k++;
            if (k == *nfound && *nfound < MAX_NEW) found[(*nfound)++] = parent;
            break;
        }
    }
    return *nfound > 0;
}

/* This process's CPU time (clock ticks, its reaped children's included) and resident
 * pages, as "self <ticks> <pages>\n" into *buf; -1 on error. */
static ssize_t read_self(int statm_fd, char **buf, size_t *cap) {
    struct tms t;
    errno = 0;
    if (times(&t) == (clock_t)-1 && errno != 0) return -1;
    long long ticks = (long long)t.tms_utime + (long long)t.tms_stime + (long long)t.tms_cutime +
                      (long long)t.tms_cstime;
    char text[256];
    ssize_t n = pread(statm_fd, text, sizeof text - 1, 0);
    if (n <= 0) return -1;
    text[n] = '\0';
    char *space = strchr(text, ' ');
    if (space == NULL) return -1;
    long pages = strtol(space + 1, NULL, 10);
    int written = snprintf(*buf, *cap, "self %lld %ld\n", ticks, pages);
    return written < 0 || (size_t)written >= *cap ? -1 : written;
}

/* Wait until due_s (monotonic) or the bell; 1 when the bell rang. */
static int wait_until(int bell_fd, double due_s) {
    for (;;) {
        double left = due_s - now_of(CLOCK_MONOTONIC);
        if (left <= 0) return 0;
        struct timespec ts;
        ts.tv_sec = (time_t)left;
        ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
        struct pollfd p = {.fd = bell_fd, .events = POLLIN, .revents = 0};
        int r = ppoll(&p, bell_fd >= 0 ? 1 : 0, &ts, NULL);
        if (r > 0) return 1;
        /* r == 0: the timeout (checked again above); r < 0: EINTR, wait on. */
    }
}

static void free_ticks(tick_t *ticks, Py_ssize_t count, Py_ssize_t nfds) {
    for (Py_ssize_t i = 0; i < count; i++) {
        for (Py_ssize_t j = 0; j < nfds; j++) free(ticks[i].data[j]);
        free(ticks[i].data);
        free(ticks[i].len);
    }
    free(ticks);
}

/* A sequence of ints as a PyMem array (*n items); NULL with an exception set on error. */
static long *longs_of(PyObject *seq, const char *what, Py_ssize_t *n) {
    PyObject *fast = PySequence_Fast(seq, what);
    if (fast == NULL) return NULL;
    *n = PySequence_Fast_GET_SIZE(fast);
    long *out = PyMem_Calloc(*n ? (size_t)*n : 1, sizeof(long));
    if (out == NULL) {
        Py_DECREF(fast);
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t j = 0; j < *n; j++) {
        out[j] = PyLong_AsLong(PySequence_Fast_GET_ITEM(fast, j));
        if (out[j] == -1 && PyErr_Occurred()) {
            Py_DECREF(fast);
            PyMem_Free(out);
            return NULL;
        }
    }
    Py_DECREF(fast);
    return out;
}

static PyObject *gather(PyObject *self, PyObject *args) {
    int bell_fd, watch_fd, statm_fd;
    PyObject *fd_seq, *pid_seq;
    double due_s, interval_s, until_s;
    Py_ssize_t max_ticks, nfds = 0, npids = 0, nfound = 0;
    long watch_pid;
    Py_ssize_t self_at;
    (void)self;
    if (!PyArg_ParseTuple(args, "iOOddndilni", &bell_fd, &fd_seq, &pid_seq, &due_s, &interval_s,
                          &max_ticks, &until_s, &watch_fd, &watch_pid, &self_at, &statm_fd))
        return NULL;
    if (!(interval_s > 0)) {
        PyErr_Format(PyExc_ValueError, "interval_s must be above 0, not %R",
                     PyTuple_GetItem(args, 4));
        return NULL;
    }
    if (max_ticks < 0) max_ticks = 0;
    long *fds = longs_of(fd_seq, "fds must be a sequence of descriptors", &nfds);
    long *pids = fds == NULL ? NULL : longs_of(pid_seq, "pids must be a sequence of ids", &npids);
    char **bufs = PyMem_Calloc(nfds ? (size_t)nfds : 1, sizeof(char *));
    size_t *caps = PyMem_Calloc(nfds ? (size_t)nfds : 1, sizeof(size_t));
    long *found = PyMem_Calloc(MAX_NEW, sizeof(long));
    tick_t *ticks = calloc(max_ticks ? (size_t)max_ticks : 1, sizeof(tick_t));
    if (fds == NULL || pids == NULL || bufs == NULL || caps == NULL || found == NULL ||
        ticks == NULL) {
        PyMem_Free(fds), PyMem_Free(pids), PyMem_Free(bufs), PyMem_Free(caps);
        PyMem_Free(found), free(ticks);
        return PyErr_Occurred() ? NULL : PyErr_NoMemory();
    }

    int reason = DONE, oom = 0, unsure = 0;
    long pid = watch_pid;
    Py_ssize_t count = 0;
    Py_BEGIN_ALLOW_THREADS
    while (count < max_ticks) {
        if (due_s >= until_s) break;
        if (wait_until(bell_fd, due_s)) {
            reason = RUNG;
            break;
        }
        tick_t *t = &ticks[count];
        t->data = calloc(nfds ? (size_t)nfds : 1, sizeof(char *));
        t->len = calloc(nfds ? (size_t)nfds : 1, sizeof(ssize_t));
        if (t->data == NULL || t->len == NULL) {
            free(t->data), free(t->len);
            oom = 1;
            break;
        }
        t->mono = now_of(CLOCK_MONOTONIC);
        t->wall = now_of(CLOCK_REALTIME);
        int failed = 0;
        for (Py_ssize_t j = 0; j < nfds && !oom; j++) {
            if (bufs[j] == NULL) {
                caps[j] = 4096;
                bufs[j] = malloc(caps[j]);
                if (bufs[j] == NULL) {
                    oom = 1;
                    break;
                }
            }
            ssize_t n = j == self_at ? read_self(statm_fd, &bufs[j], &caps[j])
                                     : read_whole((int)fds[j], &bufs[j], &caps[j]);
            if (n < 0) {
                failed = 1;
                continue;
            }
            t->data[j] = malloc(n ? (size_t)n : 1);
            if (t->data[j] == NULL) {
                oom = 1;
                break;
            }
            memcpy(t->data[j], bufs[j], (size_t)n);
            t->len[j] = n;
        }
        count++;
        if (oom) break;
        due_s = t->mono + interval_s;
        int created = watch_fd >= 0 && new_processes(&pid, newest_pid(watch_fd), pids, npids,
                                                     found, &nfound, &unsure);
        if (failed || created) {
            reason = CHANGED;
            break;
        }
    }
    Py_END_ALLOW_THREADS
    for (Py_ssize_t j = 0; j < nfds; j++) free(bufs[j]);
    PyMem_Free(fds), PyMem_Free(pids), PyMem_Free(bufs), PyMem_Free(caps);
    if (oom) {
        PyMem_Free(found);
        free_ticks(ticks, count, nfds);
        return PyErr_NoMemory();
    }
    PyObject *parents = unsure ? Py_NewRef(Py_None) : PyTuple_New(nfound);
    for (Py_ssize_t k = 0; parents != NULL && !unsure && k < nfound; k++) {
        PyObject *parent = PyLong_FromLong(found[k]);
        if (parent == NULL) {
            Py_CLEAR(parents);
            break;
        }
        PyTuple_SET_ITEM(parents, k, parent);
    }
    PyMem_Free(found);
    if (parents == NULL) {
        free_ticks(ticks, count, nfds);
        return NULL;
    }

    PyObject *list = PyList_New(count);
    for (Py_ssize_t i = 0; list != NULL && i < count; i++) {
        PyObject *raws = PyTuple_New(nfds);
        if (raws == NULL) {
            Py_CLEAR(list);
            break;
        }
        for (Py_ssize_t j = 0; j < nfds; j++) {
            PyObject *raw = ticks[i].data[j] == NULL
                                ? Py_NewRef(Py_None)
                                : PyBytes_FromStringAndSize(ticks[i].data[j], ticks[i].len[j]);
            if (raw == NULL) {
                Py_DECREF(raws);
                raws = NULL;
                break;
            }
            PyTuple_SET_ITEM(raws, j, raw);
        }
        PyObject *tick = raws == NULL ? NULL : Py_BuildValue("(ddN)", ticks[i].mono, ticks[i].wall, raws);
        if (tick == NULL) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, i, tick);
    }
    free_ticks(ticks, count, nfds);
    if (list == NULL) {
        Py_DECREF(parents);
        return NULL;
    }
    return Py_BuildValue("(NidlN)", list, reason, due_s, pid, parents);
}

static PyObject *die_with_parent(PyObject *self, PyObject *arg) {
    long signum = PyLong_AsLong(arg);
    if (signum == -1 && PyErr_Occurred()) return NULL;
    if (signum < 1 || signum > 64) {
        PyErr_Format(PyExc_ValueError, "die_with_parent: %ld is not a signal number (1 to 64)",
                     signum);
        return NULL;
    }
    if (prctl(PR_SET_PDEATHSIG, (unsigned long)signum, 0, 0, 0) != 0)
        return PyErr_SetFromErrno(PyExc_OSError);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"gather", gather, METH_VARARGS,
     "gather(bell_fd, fds, pids, due_s, interval_s, max_ticks, until_s, watch_fd, watch_pid,\n"
     "       self_at, statm_fd)\n"
     "-> (ticks, reason, due_s, pid, parents): wait and read raw ticks, GIL released."},
    {"die_with_parent", die_with_parent, METH_O,
     "die_with_parent(signum): prctl(PR_SET_PDEATHSIG, signum)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "wattprint.tracking._ticks",
    "The sampling thread's idle ticks, read outside the interpreter (Linux).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__ticks(void) {
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    if (PyModule_AddIntConstant(m, "DONE", DONE) < 0 ||
        PyModule_AddIntConstant(m, "RUNG", RUNG) < 0 ||
        PyModule_AddIntConstant(m, "CHANGED", CHANGED) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

#else /* not Linux: no module; the sampling thread stays in Python */
#error "wattprint.tracking._ticks is built on Linux only (ppoll, eventfd, procfs)"
#endif
