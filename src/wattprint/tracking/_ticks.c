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
 * gather(bell_fd, fds, due_s, interval_s, max_ticks, until_s, watch_fd, watch_pid)
 *     -> (ticks, reason, due_s, pid)
 *
 *   bell_fd     an eventfd (or pipe) that becomes readable when a caller wants
 *               the thread: the wait ends at once (reason RUNG); it is not read.
 *   fds         descriptors to read with pread at each tick (may be empty: then a
 *               tick is only the wait).
 *   due_s       when the first tick is due (time.monotonic()). Units: s.
 *   interval_s  time between ticks; the next is due interval_s after a tick.
 *   max_ticks   ticks to take at most (reason DONE after the last one).
 *   until_s     no tick is waited for at or after this moment (reason DONE).
 *   watch_fd    /proc/loadavg (or -1): its last field is the newest process id;
 *               when it differs from watch_pid after a tick, the call ends
 *               (reason CHANGED): a process or thread was created somewhere.
 *   ticks       a list of (monotonic_s, wall_s, (bytes or None, ...)); None where
 *               a read failed (that also ends the call with reason CHANGED).
 *   due_s       when the next tick is due.
 *   pid         the newest process id seen (watch_pid when none was read).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#ifdef __linux__
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
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

static PyObject *gather(PyObject *self, PyObject *args) {
    int bell_fd, watch_fd;
    PyObject *fd_seq;
    double due_s, interval_s, until_s;
    Py_ssize_t max_ticks;
    long watch_pid;
    (void)self;
    if (!PyArg_ParseTuple(args, "iOddndil", &bell_fd, &fd_seq, &due_s, &interval_s, &max_ticks,
                          &until_s, &watch_fd, &watch_pid))
        return NULL;
    if (!(interval_s > 0)) {
        PyErr_Format(PyExc_ValueError, "interval_s must be above 0, not %R",
                     PyTuple_GetItem(args, 3));
        return NULL;
    }
    if (max_ticks < 0) max_ticks = 0;
    PyObject *fast = PySequence_Fast(fd_seq, "fds must be a sequence of descriptors");
    if (fast == NULL) return NULL;
    Py_ssize_t nfds = PySequence_Fast_GET_SIZE(fast);
    int *fds = PyMem_Calloc(nfds ? (size_t)nfds : 1, sizeof(int));
    char **bufs = PyMem_Calloc(nfds ? (size_t)nfds : 1, sizeof(char *));
    size_t *caps = PyMem_Calloc(nfds ? (size_t)nfds : 1, sizeof(size_t));
    tick_t *ticks = calloc(max_ticks ? (size_t)max_ticks : 1, sizeof(tick_t));
    if (fds == NULL || bufs == NULL || caps == NULL || ticks == NULL) {
        Py_DECREF(fast);
        PyMem_Free(fds), PyMem_Free(bufs), PyMem_Free(caps), free(ticks);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t j = 0; j < nfds; j++) {
        long fd = PyLong_AsLong(PySequence_Fast_GET_ITEM(fast, j));
        if (fd == -1 && PyErr_Occurred()) {
            Py_DECREF(fast);
            PyMem_Free(fds), PyMem_Free(bufs), PyMem_Free(caps), free(ticks);
            return NULL;
        }
        fds[j] = (int)fd;
    }
    Py_DECREF(fast);

    int reason = DONE, oom = 0;
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
        long seen = watch_fd >= 0 ? newest_pid(watch_fd) : watch_pid;
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
            ssize_t n = read_whole(fds[j], &bufs[j], &caps[j]);
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
        if (seen >= 0 && seen != pid) pid = seen;
        if (failed || pid != watch_pid) {
            reason = CHANGED;
            break;
        }
    }
    Py_END_ALLOW_THREADS
    for (Py_ssize_t j = 0; j < nfds; j++) free(bufs[j]);
    PyMem_Free(fds), PyMem_Free(bufs), PyMem_Free(caps);
    if (oom) {
        free_ticks(ticks, count, nfds);
        return PyErr_NoMemory();
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
    if (list == NULL) return NULL;
    return Py_BuildValue("(Nidl)", list, reason, due_s, pid);
}

static PyMethodDef methods[] = {
    {"gather", gather, METH_VARARGS,
     "gather(bell_fd, fds, due_s, interval_s, max_ticks, until_s, watch_fd, watch_pid)\n"
     "-> (ticks, reason, due_s, pid): wait and read raw ticks with the GIL released."},
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
