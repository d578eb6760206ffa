/* seccompProfile Localhost: a profile in the OCI / docker JSON format
 * ({"defaultAction", "defaultErrnoRet", "architectures", "syscalls": [{"names",
 * "action", "errnoRet", "args": [{"index", "value", "valueTwo", "op"}]}]}),
 * read from STATE/seccomp/<localhostProfile> (the kubelet's
 * /var/lib/kubelet/seccomp) and compiled with libseccomp by the sandbox before
 * the container's clone; the child (a copy of the sandbox's memory) loads it.
 * Exec probes and hooks find it again by the container's pid. */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "pfs/util.h"
#include "syscalls.h"
#include "pfs/yval.h"
#include "security.h"

#define PROFILE_MAX (1024 * 1024)

static bool action_of(const char *name, int64_t errno_ret, uint32_t *ret)
{
        static const struct { const char *name; uint32_t act; } acts[] = {
                { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW }, { "SCMP_ACT_KILL", SCMP_ACT_KILL },
                { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD }, { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS },
                { "SCMP_ACT_TRAP", SCMP_ACT_TRAP }, { "SCMP_ACT_LOG", SCMP_ACT_LOG },
        };

        if (!name)
                return false;
        if (!strcmp(name, "SCMP_ACT_ERRNO")) {
                *ret = SCMP_ACT_ERRNO((uint32_t)errno_ret);
                return true;
        }
        if (!strcmp(name, "SCMP_ACT_TRACE")) {
                *ret = SCMP_ACT_TRACE((uint32_t)errno_ret);
                return true;
        }
        for (size_t i = 0; i < ARRAY_SIZE(acts); i++)
                if (!strcmp(name, acts[i].name)) {
                        *ret = acts[i].act;
                        return true;
                }
        return false;
}

static bool op_of(const char *name, enum scmp_compare *ret)
{
        static const struct { const char *name; enum scmp_compare op; } ops[] = {
                { "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT }, { "SCMP_CMP_LE", SCMP_CMP_LE },
                { "SCMP_CMP_EQ", SCMP_CMP_EQ }, { "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
                { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
        };

        for (size_t i = 0; name && i < ARRAY_SIZE(ops); i++)
                if (!strcmp(name, ops[i].name)) {
                        *ret = ops[i].op;
                        return true;
                }
        return false;
}

static int args_of(const struct yval *l, struct scmp_arg_cmp *cmp, unsigned *ret_n)
{
        unsigned n = 0;

        for (size_t i = 0; l && l->type == YVAL_LIST && i < l->list.n; i++) {
                const struct yval *a = l->list.items[i];

                if (n == 6 || a->type != YVAL_MAP || !op_of(yval_get_str(a, "op", NULL), &cmp[n].op))
                        return -EINVAL;
                cmp[n].arg = (unsigned)yval_get_int(a, "index", 0);
                cmp[n].datum_a = (scmp_datum_t)yval_get_int(a, "value", 0);
                cmp[n].datum_b = (scmp_datum_t)yval_get_int(a, "valueTwo", 0);
                n++;
        }
        *ret_n = n;
        return 0;
}

static int rule_add(scmp_filter_ctx ctx, const struct yval *rule, int64_t default_errno, const char **bad)
{
        const struct yval *names = yval_map_get(rule, "names");
        struct scmp_arg_cmp cmp[6];
        unsigned n_cmp = 0;
        uint32_t act;

        *bad = yval_get_str(rule, "action", "(none)");
        if (!action_of(yval_get_str(rule, "action", NULL), yval_get_int(rule, "errnoRet", default_errno), &act) ||
            args_of(yval_map_get(rule, "args"), cmp, &n_cmp) < 0)
                return -EINVAL;
        for (size_t i = 0; names && names->type == YVAL_LIST && i < names->list.n; i++) {
                const struct yval *nm = names->list.items[i];
                int nr = nm->type == YVAL_STRING ? seccomp_syscall_resolve_name(nm->str.s) : __NR_SCMP_ERROR;
                int r;

                if (nr == __NR_SCMP_ERROR)
                        continue;       /* as runc: a name this architecture lacks is skipped */
                r = seccomp_rule_add_array(ctx, act, nr, n_cmp, cmp);
                if (r < 0 && r != -EEXIST) {
                        *bad = nm->str.s;
                        return r;
                }
        }
        return 0;
}

static int profile_compile(const struct yval *p, scmp_filter_ctx *ret, struct pfs_error *err)
{
        int64_t def_errno = yval_get_int(p, "defaultErrnoRet", EPERM);
        const struct yval *rules = yval_map_get(p, "syscalls");
        const char *bad = NULL;
        scmp_filter_ctx ctx;
        uint32_t def;
        int r = 0;

        if (!action_of(yval_get_str(p, "defaultAction", NULL), def_errno, &def))
                return pfs_error_set(err, EINVAL, "defaultAction: unknown action \"%s\"",
                                     yval_get_str(p, "defaultAction", ""));
        ctx = seccomp_init(def);
        if (!ctx)
                return pfs_error_set(err, ENOMEM, "seccomp_init");
        r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
        for (size_t i = 0; r == 0 && rules && rules->type == YVAL_LIST && i < rules->list.n; i++)
                r = rule_add(ctx, rules->list.items[i], def_errno, &bad);
        if (r < 0) {
                seccomp_release(ctx);
                return pfs_error_set(err, -r, "syscalls: cannot add the rule of \"%s\"", bad ? bad : "?");
        }
        *ret = ctx;
        return 0;
}

/* containerd's seccomp.WithProfile: os.ReadFile's error, in Go's words. */
static int profile_open_failed(const char *dir, const char *name, struct pfs_error *err)
{
        int e = errno;
        char what[128];

        snprintf(what, sizeof(what), "%s", strerror(e));
        if (what[0] >= 'A' && what[0] <= 'Z' && what[1] >= 'a')
                what[0] = (char)(what[0] - 'A' + 'a');
        return pfs_error_set(err, e, "cannot load seccomp profile \"%s/%s\": open %s/%s: %s", dir, name, dir, name,
                             what);
}

int ctr_seccomp_profile_load(const char *state_dir, const char *name, void **ret_ctx, struct pfs_error *err)
{
        _cleanup_free_ char *dir = xasprintf("%s/seccomp", state_dir), *text = NULL;
        _cleanup_close_ int dfd = -1, fd = -1;
        struct ydoc *docs = NULL;
        size_t n = 0, len = 0;
        scmp_filter_ctx ctx = NULL;
        int r;

        dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        fd = dfd < 0 ? -1 : pfs_openat2(dfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0, RESOLVE_BENEATH);
        if (fd < 0)
                return profile_open_failed(dir, name, err);
        text = xmalloc(PROFILE_MAX + 1);
        for (ssize_t got = 1; got > 0 && len <= PROFILE_MAX; len += (size_t)got)
                if ((got = read(fd, text + len, PROFILE_MAX + 1 - len)) < 0)
                        return pfs_error_set(err, errno, "cannot load seccomp profile \"%s/%s\"", dir, name);
        if (len > PROFILE_MAX)
                return pfs_error_set(err, EFBIG, "cannot load seccomp profile \"%s/%s\": larger than 1 MiB", dir,
                                     name);
        text[len] = '\0';
        r = yval_parse_stream(text, len, &docs, &n, err);
        if (r == 0 && (!n || !docs[0].root || docs[0].root->type != YVAL_MAP))
                r = pfs_error_set(err, EINVAL, "not a JSON object");
        if (r == 0)
                r = profile_compile(docs[0].root, &ctx, err);
        ydoc_free_array(docs, n);
        if (r < 0)
                return pfs_error_wrap(err, "seccomp profile \"%s/%s\"", dir, name);
        *ret_ctx = ctx;
        return 0;
}

int ctr_seccomp_profile_apply(void *ctx, struct pfs_error *err)
{
        int r = seccomp_load(ctx);

        return r < 0 ? pfs_error_set(err, -r, "load the Localhost seccomp profile") : 0;
}

void ctr_seccomp_profile_free(void *ctx)
{
        if (ctx)
                seccomp_release(ctx);
}

/* ---- which profile a running container has (for its exec children) ---- */

#define REG_MAX 256

static struct reg {
        pid_t pid;
        void *ctx;      /* NULL: RuntimeDefault (or none) */
} reg[REG_MAX];

void ctr_seccomp_register(pid_t pid, void *ctx)
{
        size_t free_slot = REG_MAX;

        for (size_t i = 0; i < REG_MAX; i++) {
                if (reg[i].pid == pid) {
                        ctr_seccomp_profile_free(reg[i].ctx);
                        reg[i] = (struct reg){ 0 };
                }
                if (!reg[i].pid && free_slot == REG_MAX)
                        free_slot = i;
        }
        /* full: a slot of a container that is gone */
        for (size_t i = 0; free_slot == REG_MAX && i < REG_MAX; i++)
                if (kill(reg[i].pid, 0) < 0 && errno == ESRCH) {
                        ctr_seccomp_profile_free(reg[i].ctx);
                        reg[i] = (struct reg){ 0 };
                        free_slot = i;
                }
        if (ctx && free_slot < REG_MAX)
                reg[free_slot] = (struct reg){ .pid = pid, .ctx = ctx };
        else
                ctr_seccomp_profile_free(ctx);
}

void *ctr_seccomp_registered(pid_t pid)
{
        for (size_t i = 0; i < REG_MAX; i++)
                if (reg[i].pid == pid)
                        return reg[i].ctx;
        return NULL;
}
