/* A container's stdio and stop fields: stdin, stdinOnce, tty,
 * lifecycle.stopSignal (KEP-4960, ContainerStopSignals, as with the gate
 * enabled), and the pod's spec.os.name they are validated against: decoding,
 * the API server's validation (validateContainerStopSignal, validateOS) in
 * its words, and pod.json. */
#include <stdlib.h>
#include <string.h>
#include "spec_internal.h"

/* core.Signal values the API server accepts for spec.os.name linux
 * (supportedStopSignalsLinux) and their numbers on Linux (moby's signal map:
 * SIGRTMIN is 34). */
static const struct { const char *name; int num; } linux_signals[] = {
        { "SIGABRT", 6 }, { "SIGALRM", 14 }, { "SIGBUS", 7 }, { "SIGCHLD", 17 }, { "SIGCLD", 17 },
        { "SIGCONT", 18 }, { "SIGFPE", 8 }, { "SIGHUP", 1 }, { "SIGILL", 4 }, { "SIGINT", 2 },
        { "SIGIO", 29 }, { "SIGIOT", 6 }, { "SIGKILL", 9 }, { "SIGPIPE", 13 }, { "SIGPOLL", 29 },
        { "SIGPROF", 27 }, { "SIGPWR", 30 }, { "SIGQUIT", 3 }, { "SIGSEGV", 11 }, { "SIGSTKFLT", 16 },
        { "SIGSTOP", 19 }, { "SIGSYS", 31 }, { "SIGTERM", 15 }, { "SIGTRAP", 5 }, { "SIGTSTP", 20 },
        { "SIGTTIN", 21 }, { "SIGTTOU", 22 }, { "SIGURG", 23 }, { "SIGUSR1", 10 }, { "SIGUSR2", 12 },
        { "SIGVTALRM", 26 }, { "SIGWINCH", 28 }, { "SIGXCPU", 24 }, { "SIGXFSZ", 25 },
        { "SIGRTMIN", 34 }, { "SIGRTMIN+1", 35 }, { "SIGRTMIN+2", 36 }, { "SIGRTMIN+3", 37 },
        { "SIGRTMIN+4", 38 }, { "SIGRTMIN+5", 39 }, { "SIGRTMIN+6", 40 }, { "SIGRTMIN+7", 41 },
        { "SIGRTMIN+8", 42 }, { "SIGRTMIN+9", 43 }, { "SIGRTMIN+10", 44 }, { "SIGRTMIN+11", 45 },
        { "SIGRTMIN+12", 46 }, { "SIGRTMIN+13", 47 }, { "SIGRTMIN+14", 48 }, { "SIGRTMIN+15", 49 },
        { "SIGRTMAX-14", 50 }, { "SIGRTMAX-13", 51 }, { "SIGRTMAX-12", 52 }, { "SIGRTMAX-11", 53 },
        { "SIGRTMAX-10", 54 }, { "SIGRTMAX-9", 55 }, { "SIGRTMAX-8", 56 }, { "SIGRTMAX-7", 57 },
        { "SIGRTMAX-6", 58 }, { "SIGRTMAX-5", 59 }, { "SIGRTMAX-4", 60 }, { "SIGRTMAX-3", 61 },
        { "SIGRTMAX-2", 62 }, { "SIGRTMAX-1", 63 }, { "SIGRTMAX", 64 },
};

int pod_signal_number(const char *name)
{
        for (size_t i = 0; name && i < ARRAY_SIZE(linux_signals); i++)
                if (strcmp(name, linux_signals[i].name) == 0)
                        return linux_signals[i].num;
        return -1;
}

const char *pod_signal_name(int num)
{
        for (size_t i = 0; i < ARRAY_SIZE(linux_signals); i++)
                if (linux_signals[i].num == num)
                        return linux_signals[i].name;
        return NULL;
}

static const struct field os_fields[] = { { "name", FLD_OK } };

void spec_decode_pod_os(struct spec_errs *e, const struct yval *spec, const char *path, struct pod_spec *s)
{
        const struct yval *v = spec_get_map(e, spec, "os", path);
        _cleanup_free_ char *p = spec_path_key(path, "os");

        if (!v)
                return;
        spec_check_fields(e, v, p, os_fields, ARRAY_SIZE(os_fields));
        s->os_name = spec_get_str(e, v, "name", p);
        if (!s->os_name)
                s->os_name = xstrdup("");
}

void spec_decode_container_stdio(struct spec_errs *e, const struct yval *ctr, const char *path,
                                 struct pod_container *c)
{
        const struct yval *lc = yval_map_get(ctr, "lifecycle");

        c->stdin_open = spec_get_bool(e, ctr, "stdin", path, false);
        c->stdin_once = spec_get_bool(e, ctr, "stdinOnce", path, false);
        c->tty = spec_get_bool(e, ctr, "tty", path, false);
        if (lc && lc->type == YVAL_MAP) {
                _cleanup_free_ char *lp = spec_path_key(path, "lifecycle");

                c->stop_signal = spec_get_str(e, lc, "stopSignal", lp);
        }
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* sets.List order: sorted by bytes. */
static void stop_signal_unsupported(struct spec_errs *e, const char *p, const char *sig)
{
        const char *names[ARRAY_SIZE(linux_signals)];

        for (size_t i = 0; i < ARRAY_SIZE(linux_signals); i++)
                names[i] = linux_signals[i].name;
        qsort(names, ARRAY_SIZE(names), sizeof(names[0]), cmp_str);
        spec_err_unsupported(e, p, sig, names, ARRAY_SIZE(names));
}

static void validate_stop_signal(struct spec_errs *e, const struct pod_spec *s, const struct pod_container *c,
                                 const char *cp)
{
        static const char *const windows[] = { "SIGKILL", "SIGTERM" };
        _cleanup_free_ char *lp = spec_path_key(cp, "lifecycle");
        _cleanup_free_ char *p = spec_path_key(lp, "stopSignal");

        if (!c->stop_signal)
                return;
        if (!s->os_name || !*s->os_name)
                spec_err_forbidden(e, p, "may not be set for containers with empty `spec.os.name`");
        else if (strcmp(s->os_name, "windows") == 0)
                spec_check_enum(e, p, c->stop_signal, windows, ARRAY_SIZE(windows));
        else if (strcmp(s->os_name, "linux") == 0 && pod_signal_number(c->stop_signal) < 0)
                stop_signal_unsupported(e, p, c->stop_signal);
}

static void validate_list(struct spec_errs *e, const struct pod_spec *s, const char *key,
                          const struct pod_container *cs, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *lp = spec_path_key("spec", key);
                _cleanup_free_ char *cp = spec_path_idx(lp, i);

                validate_stop_signal(e, s, &cs[i], cp);
        }
}

void spec_validate_stdio(const struct pod_spec *s, struct spec_errs *e)
{
        static const char *const oses[] = { "linux", "windows" };

        if (s->os_name && !*s->os_name)
                spec_err_required(e, "spec.os.name", "cannot be empty");
        else if (s->os_name)
                spec_check_enum(e, "spec.os", s->os_name, oses, ARRAY_SIZE(oses));
        validate_list(e, s, "initContainers", s->init_containers, s->n_init_containers);
        validate_list(e, s, "containers", s->containers, s->n_containers);
}

/* The Container type's last fields, omitempty. */
void spec_container_stdio_to_yval(const struct pod_container *c, struct yval *y)
{
        if (c->stdin_open)
                yval_map_set(y, "stdin", yval_new_bool(true));
        if (c->stdin_once)
                yval_map_set(y, "stdinOnce", yval_new_bool(true));
        if (c->tty)
                yval_map_set(y, "tty", yval_new_bool(true));
}
