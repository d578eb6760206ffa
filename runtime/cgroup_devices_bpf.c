/* The device policy on cgroup v2: v2 has no devices controller, the kernel
 * asks a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the task's cgroup
 * instead. The program is a straight list of rule blocks, written as raw
 * instructions for the bpf() syscall (no libbpf: a dozen instructions do not
 * justify a library); the context is struct bpf_cgroup_dev_ctx. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "cgroup_devices.h"
#include "pfs/util.h"

/* Registers once the context is read (r1 is free again afterwards). */
enum { R_RET = 0, R_TMP = 1, R_TYPE = 2, R_ACCESS = 3, R_MAJOR = 4, R_MINOR = 5, R_CTX = 1 };

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(dst, off) INSN(BPF_LDX | BPF_MEM | BPF_W, dst, R_CTX, off, 0)
#define ALU32_K(op, dst, k) INSN(BPF_ALU | (op) | BPF_K, dst, 0, 0, k)
#define MOV32_X(dst, src) INSN(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV64_K(dst, k) INSN(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, k)
#define JNE_K(dst, k, off) INSN(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, k)
#define JNE_X(dst, src, off) INSN(BPF_JMP | BPF_JNE | BPF_X, dst, src, off, 0)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static size_t rule_len(const struct pod_device_rule *r)
{
        return (r->type != 'a') + (r->access != POD_DEV_RWM ? 3 : 0) + (r->major != POD_DEV_ANY) +
               (r->minor != POD_DEV_ANY) + 2;
}

static bool rule_valid(const struct pod_device_rule *r)
{
        return (r->type == 'a' || r->type == 'b' || r->type == 'c') && r->access && !(r->access & ~POD_DEV_RWM) &&
               r->major >= POD_DEV_ANY && r->major <= INT32_MAX && r->minor >= POD_DEV_ANY &&
               r->minor <= INT32_MAX;
}

/* One rule: each test that fails jumps to the next rule; all passed: allow. */
static struct bpf_insn *rule_emit(struct bpf_insn *p, const struct pod_device_rule *r)
{
        struct bpf_insn *next = p + rule_len(r);

#define TO_NEXT(at) ((int16_t)(next - (at) - 1))
        if (r->type != 'a') {
                *p = JNE_K(R_TYPE, r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK, TO_NEXT(p));
                p++;
        }
        if (r->access != POD_DEV_RWM) {
                /* every bit asked for must be allowed: (access & allowed) == access */
                *p++ = MOV32_X(R_TMP, R_ACCESS);
                *p++ = ALU32_K(BPF_AND, R_TMP, (int32_t)r->access);
                *p = JNE_X(R_TMP, R_ACCESS, TO_NEXT(p));
                p++;
        }
        if (r->major != POD_DEV_ANY) {
                *p = JNE_K(R_MAJOR, (int32_t)r->major, TO_NEXT(p));
                p++;
        }
        if (r->minor != POD_DEV_ANY) {
                *p = JNE_K(R_MINOR, (int32_t)r->minor, TO_NEXT(p));
                p++;
        }
#undef TO_NEXT
        *p++ = MOV64_K(R_RET, 1);
        *p++ = EXIT();
        return p;
}

int pod_device_prog_build(const struct pod_device_rule *rules, size_t n, struct bpf_insn **ret_insns,
                          size_t *ret_n)
{
        size_t len = 6 + 2;     /* context loads, final deny */
        struct bpf_insn *insns, *p;

        for (size_t i = 0; i < n; i++) {
                if (!rule_valid(&rules[i]))
                        return -EINVAL;
                len += rule_len(&rules[i]);
        }
        p = insns = xcalloc(len, sizeof(*insns));
        *p++ = LDX_W(R_TYPE, offsetof(struct bpf_cgroup_dev_ctx, access_type));
        *p++ = ALU32_K(BPF_AND, R_TYPE, 0xffff);
        *p++ = LDX_W(R_ACCESS, offsetof(struct bpf_cgroup_dev_ctx, access_type));
        *p++ = ALU32_K(BPF_RSH, R_ACCESS, 16);
        *p++ = LDX_W(R_MAJOR, offsetof(struct bpf_cgroup_dev_ctx, major));
        *p++ = LDX_W(R_MINOR, offsetof(struct bpf_cgroup_dev_ctx, minor));
        for (size_t i = 0; i < n; i++)
                p = rule_emit(p, &rules[i]);
        *p++ = MOV64_K(R_RET, 0);
        *p++ = EXIT();
        *ret_insns = insns;
        *ret_n = len;
        return 0;
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
        return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int prog_load(const struct bpf_insn *insns, size_t n, char *log, size_t log_size)
{
        union bpf_attr attr;

        memset(&attr, 0, sizeof(attr));
        attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        attr.insns = (uint64_t)(uintptr_t)insns;
        attr.insn_cnt = (uint32_t)n;
        attr.license = (uint64_t)(uintptr_t)"MIT";
        snprintf(attr.prog_name, sizeof(attr.prog_name), "podfs_devices");
        if (log) {
                attr.log_buf = (uint64_t)(uintptr_t)log;
                attr.log_size = (uint32_t)log_size;
                attr.log_level = 1;
        }
        return sys_bpf(BPF_PROG_LOAD, &attr);
}

/* The verifier ends its log with the reason; keep that line. */
static const char *last_line(char *log)
{
        size_t n = strlen(log);
        char *p;

        while (n && log[n - 1] == '\n')
                log[--n] = '\0';
        p = strrchr(log, '\n');
        return p ? p + 1 : log;
}

int pod_device_prog_load(const struct pod_device_rule *rules, size_t n, struct pfs_error *err)
{
        _cleanup_free_ struct bpf_insn *insns = NULL;
        char log[4096] = "";
        size_t len;
        int fd, e;

        if (pod_device_prog_build(rules, n, &insns, &len) < 0)
                return pfs_error_set(err, EINVAL, "invalid device rule");
        fd = prog_load(insns, len, NULL, 0);
        if (fd >= 0)
                return fd;
        e = errno;
        if (e == EINVAL || e == EACCES) {       /* the verifier refused: say why */
                fd = prog_load(insns, len, log, sizeof(log));
                if (fd >= 0)
                        return fd;
        }
        return pfs_error_set(err, e, "load the device program%s%s", log[0] ? ": " : "", last_line(log));
}

/* The device programs attached to the cgroup itself (not inherited). */
static uint32_t attached_query(int cgroup_fd, uint32_t *ids, uint32_t max)
{
        union bpf_attr attr;

        memset(&attr, 0, sizeof(attr));
        attr.query.target_fd = (uint32_t)cgroup_fd;
        attr.query.attach_type = BPF_CGROUP_DEVICE;
        attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
        attr.query.prog_cnt = max;
        return sys_bpf(BPF_PROG_QUERY, &attr) < 0 ? 0 : attr.query.prog_cnt;
}

static void detach_id(int cgroup_fd, uint32_t id)
{
        union bpf_attr attr;
        int fd;

        memset(&attr, 0, sizeof(attr));
        attr.prog_id = id;
        fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
        if (fd < 0)
                return;
        memset(&attr, 0, sizeof(attr));
        attr.target_fd = (uint32_t)cgroup_fd;
        attr.attach_bpf_fd = (uint32_t)fd;
        attr.attach_type = BPF_CGROUP_DEVICE;
        sys_bpf(BPF_PROG_DETACH, &attr);
        close(fd);
}

int pod_device_prog_attach(int cgroup_fd, const struct pod_device_rule *rules, size_t n,
                           struct pfs_error *err)
{
        _cleanup_close_ int prog = pod_device_prog_load(rules, n, err);
        uint32_t old[64], n_old;
        union bpf_attr attr;

        if (prog < 0)
                return prog;
        /* A cgroup reused by a container's next run (it could not be removed)
         * still has the last run's program: replaced below, never stacked. */
        n_old = attached_query(cgroup_fd, old, ARRAY_SIZE(old));
        memset(&attr, 0, sizeof(attr));
        attr.target_fd = (uint32_t)cgroup_fd;
        attr.attach_bpf_fd = (uint32_t)prog;
        attr.attach_type = BPF_CGROUP_DEVICE;
        attr.attach_flags = BPF_F_ALLOW_MULTI;
        /* The cgroup holds the program from now on; our fd can go. */
        if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0)
                return pfs_error_set(err, errno, "attach the device program");
        /* Only now: the cgroup is never without a program. */
        for (uint32_t i = 0; i < n_old && i < ARRAY_SIZE(old); i++)
                detach_id(cgroup_fd, old[i]);
        return 0;
}
