/* Unit tests for the container device policy (runtime/cgroup_devices*.c): the
 * rule list, its v1 devices.allow lines, and the cgroup2 BPF program, run here
 * by a small interpreter of the instructions it uses; as root, the kernel's
 * verifier must accept it too. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cgroup_devices.h"
#include "tap.h"

/* ---- an interpreter for what pod_device_prog_build emits ---- */

/* Returns the program's verdict, or -1 for an instruction it does not know. */
static int prog_run(const struct bpf_insn *insns, size_t n, const struct bpf_cgroup_dev_ctx *ctx)
{
        uint64_t r[11] = { 0 };
        size_t pc = 0;

        for (int steps = 0; pc < n && steps < 10000; steps++) {
                const struct bpf_insn *i = &insns[pc++];
                uint64_t k = (uint64_t)(int64_t)i->imm;

                switch (i->code) {
                case BPF_LDX | BPF_MEM | BPF_W:
                        if (i->src_reg != 1 || i->off < 0 || i->off > 8 || i->off % 4)
                                return -1;
                        r[i->dst_reg] = ((const uint32_t *)ctx)[i->off / 4];
                        break;
                case BPF_ALU | BPF_AND | BPF_K:
                        r[i->dst_reg] = (uint32_t)(r[i->dst_reg] & k);
                        break;
                case BPF_ALU | BPF_RSH | BPF_K:
                        r[i->dst_reg] = (uint32_t)r[i->dst_reg] >> i->imm;
                        break;
                case BPF_ALU | BPF_MOV | BPF_X:
                        r[i->dst_reg] = (uint32_t)r[i->src_reg];
                        break;
                case BPF_ALU64 | BPF_MOV | BPF_K:
                        r[i->dst_reg] = k;
                        break;
                case BPF_JMP | BPF_JNE | BPF_K:
                        if (r[i->dst_reg] != k)
                                pc += i->off;
                        break;
                case BPF_JMP | BPF_JNE | BPF_X:
                        if (r[i->dst_reg] != r[i->src_reg])
                                pc += i->off;
                        break;
                case BPF_JMP | BPF_EXIT:
                        return (int)r[0];
                default:
                        return -1;
                }
        }
        return -1;
}

static int verdict(const struct bpf_insn *insns, size_t n, char type, unsigned acc, uint32_t maj, uint32_t min)
{
        struct bpf_cgroup_dev_ctx ctx = {
                .access_type = (acc << 16) | (type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK),
                .major = maj,
                .minor = min,
        };

        return prog_run(insns, n, &ctx);
}

static void test_format(void)
{
        char buf[64];
        struct pod_device_rule a = { .type = 'a', .major = POD_DEV_ANY, .minor = POD_DEV_ANY,
                                     .access = POD_DEV_RWM };
        struct pod_device_rule rw = { .type = 'c', .major = 10, .minor = 200, .access = POD_DEV_READ | POD_DEV_WRITE };
        static const char *const want[] = {
                "c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
                "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm",
        };

        tap_is_int((long long)pod_device_rules_default_n, sizeof(want) / sizeof(want[0]),
                   "runc's list: mknod of anything, the OCI default devices");
        for (size_t i = 0; i < pod_device_rules_default_n && i < sizeof(want) / sizeof(want[0]); i++) {
                pod_device_rule_format(&pod_device_rules_default[i], buf, sizeof(buf));
                tap_is_str(buf, want[i], "v1 devices.allow line");
        }
        pod_device_rule_format(&a, buf, sizeof(buf));
        tap_is_str(buf, "a", "the 'all' rule is plain 'a'");
        pod_device_rule_format(&rw, buf, sizeof(buf));
        tap_is_str(buf, "c 10:200 rw", "no m without mknod");
        tap_is_int(pod_device_rule_format(&rw, buf, 5), -ENOSPC, "too small a buffer is -ENOSPC");
}

static void test_program(void)
{
        struct bpf_insn *p = NULL;
        size_t n = 0;
        static const struct { char type; unsigned acc; uint32_t maj, min; int want; const char *what; } cases[] = {
                { 'c', POD_DEV_READ | POD_DEV_WRITE, 1, 3, 1, "/dev/null rw" },
                { 'c', POD_DEV_READ, 1, 9, 1, "/dev/urandom r" },
                { 'c', POD_DEV_WRITE, 1, 7, 1, "/dev/full w" },
                { 'c', POD_DEV_READ | POD_DEV_WRITE, 5, 0, 1, "/dev/tty" },
                { 'c', POD_DEV_READ | POD_DEV_WRITE, 5, 1, 1, "/dev/console" },
                { 'c', POD_DEV_READ | POD_DEV_WRITE, 5, 2, 1, "/dev/ptmx" },
                { 'c', POD_DEV_READ | POD_DEV_WRITE, 136, 0, 1, "/dev/pts/0" },
                { 'c', POD_DEV_READ | POD_DEV_WRITE, 136, 99999, 1, "/dev/pts/99999" },
                { 'b', POD_DEV_MKNOD, 7, 0, 1, "mknod of a block device" },
                { 'c', POD_DEV_MKNOD, 10, 232, 1, "mknod of /dev/kvm" },
                { 'b', POD_DEV_READ, 7, 0, 0, "read of the host's loop0" },
                { 'b', POD_DEV_READ | POD_DEV_WRITE, 7, 0, 0, "read-write of loop0" },
                { 'b', POD_DEV_READ | POD_DEV_MKNOD, 7, 0, 0, "mknod+read is more than mknod" },
                { 'c', POD_DEV_READ | POD_DEV_WRITE, 10, 232, 0, "/dev/kvm" },
                { 'c', POD_DEV_READ | POD_DEV_WRITE, 10, 237, 0, "/dev/loop-control" },
                { 'c', POD_DEV_READ | POD_DEV_WRITE, 4, 1, 0, "/dev/tty1" },
                { 'c', POD_DEV_READ, 1, 1, 0, "/dev/mem" },
                { 'c', POD_DEV_READ, 1, 4, 0, "c 1:4 (between the allowed ones)" },
                { 'b', POD_DEV_READ, 1, 3, 0, "b 1:3: the type counts" },
                { 'c', POD_DEV_READ, 3, 1, 0, "c 3:1: major and minor do not swap" },
                { 'c', POD_DEV_READ, 137, 0, 0, "c 137:0: only major 136 is pts" },
        };

        tap_ok(pod_device_prog_build(pod_device_rules_default, pod_device_rules_default_n, &p, &n) == 0,
               "the default program builds");
        for (size_t i = 0; p && i < sizeof(cases) / sizeof(cases[0]); i++)
                tap_is_int(verdict(p, n, cases[i].type, cases[i].acc, cases[i].maj, cases[i].min), cases[i].want,
                           cases[i].what);
        free(p);
        p = NULL;
        tap_ok(pod_device_prog_build(NULL, 0, &p, &n) == 0 && verdict(p, n, 'c', POD_DEV_READ, 1, 3) == 0,
               "no rules: everything denied");
        free(p);
        {
                struct pod_device_rule bad = { .type = 'x', .major = 1, .minor = 1, .access = POD_DEV_READ };
                struct pod_device_rule big = { .type = 'c', .major = 1LL << 40, .minor = 1, .access = POD_DEV_READ };

                tap_ok(pod_device_prog_build(&bad, 1, &p, &n) == -EINVAL, "unknown type refused");
                tap_ok(pod_device_prog_build(&big, 1, &p, &n) == -EINVAL, "major out of range refused");
        }
}

/* The kernel's verifier has the last word; it needs CAP_BPF or root. */
static void test_verifier(void)
{
        struct pfs_error err = { 0 };
        int fd;

        if (geteuid() != 0) {
                tap_ok(true, "the verifier accepts the program # SKIP not root");
                return;
        }
        fd = pod_device_prog_load(pod_device_rules_default, pod_device_rules_default_n, &err);
        if (fd < 0 && (err.code == EPERM || err.code == ENOSYS)) {
                tap_ok(true, "the verifier accepts the program # SKIP bpf(): %s", err.msg);
                return;
        }
        tap_ok(fd >= 0, "the verifier accepts the program%s%s", fd < 0 ? ": " : "", fd < 0 ? err.msg : "");
        if (fd >= 0)
                close(fd);
}

static const char *cgroup2_mount(void)
{
        static const char *const cands[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
        struct statfs st;

        for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]); i++)
                if (statfs(cands[i], &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
                        return cands[i];
        return NULL;
}

static unsigned attached_count(int cgfd)
{
        union bpf_attr attr;

        memset(&attr, 0, sizeof(attr));
        attr.query.target_fd = (uint32_t)cgfd;
        attr.query.attach_type = BPF_CGROUP_DEVICE;
        return syscall(SYS_bpf, BPF_PROG_QUERY, &attr, sizeof(attr)) < 0 ? 99 : attr.query.prog_cnt;
}

/* In a child moved into CG: open PATH; returns 0 or the errno. */
static int open_in(const char *cg, const char *path)
{
        pid_t pid = fork();
        int status;

        if (pid == 0) {
                char procs[512];
                int fd;

                snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
                fd = open(procs, O_WRONLY);
                if (fd < 0 || write(fd, "0", 1) != 1)
                        _exit(100);
                close(fd);
                fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
                _exit(fd < 0 ? errno : 0);
        }
        if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
                return -1;
        return WEXITSTATUS(status);
}

/* The kernel applies it: attached to a cgroup2 cgroup, twice (one program
 * stays), a process there opens /dev/null but not a host-only device. */
static void test_kernel(void)
{
        static const char *const denied[] = { "/dev/mem", "/dev/kmsg", "/dev/tty0", "/dev/loop-control" };
        const char *mnt = cgroup2_mount(), *probe = NULL;
        char cg[256];
        struct pfs_error err = { 0 };
        int fd, r1, r2;

        if (geteuid() != 0 || !mnt) {
                tap_ok(true, "the kernel applies the program # SKIP %s", mnt ? "not root" : "no cgroup2 mount");
                return;
        }
        for (size_t i = 0; !probe && i < sizeof(denied) / sizeof(denied[0]); i++) {
                int f = open(denied[i], O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

                if (f >= 0) {
                        probe = denied[i];
                        close(f);
                }
        }
        snprintf(cg, sizeof(cg), "%s/podfs-test-devices-%d", mnt, (int)getpid());
        if (mkdir(cg, 0755) < 0 || (fd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
                tap_ok(false, "create %s: %s", cg, strerror(errno));
                return;
        }
        r1 = pod_device_prog_attach(fd, pod_device_rules_default, pod_device_rules_default_n, &err);
        r2 = r1 < 0 ? r1 : pod_device_prog_attach(fd, pod_device_rules_default, pod_device_rules_default_n, &err);
        if (r1 == -EPERM) {
                tap_ok(true, "the kernel applies the program # SKIP %s", err.msg);
        } else {
                tap_ok(r1 == 0 && r2 == 0, "attached twice (%s)", err.msg);
                tap_is_int(attached_count(fd), 1, "... one program on the cgroup: replaced, not stacked");
                tap_is_int(open_in(cg, "/dev/null"), 0, "/dev/null opens in the cgroup");
                if (probe) {
                        char what[64];

                        snprintf(what, sizeof(what), "%s is refused in the cgroup", probe);
                        tap_is_int(open_in(cg, probe), EPERM, what);
                }
                else
                        tap_ok(true, "a host-only device is refused # SKIP none of /dev/mem, kmsg, tty0 opens here");
        }
        close(fd);
        rmdir(cg);
}

int main(void)
{
        test_format();
        test_program();
        test_verifier();
        test_kernel();
        return tap_done();
}
