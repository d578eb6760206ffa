/* Unit tests of the runtime's security pieces that need no root: the
 * RuntimeDefault seccomp filter (loaded in a child under no_new_privs, then
 * system calls made directly), the kubelet's sysctl and AppArmor admission
 * (sandbox side), and podfs's default AppArmor profile (checked by
 * apparmor_parser when the node has it). */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "pfs/spec.h"
#include "pfs/util.h"
#include "sandbox.h"
#include "security.h"
#include "tap.h"

#define CAP_BIT(c) (1ULL << (c))
#define DEFAULT_CAPS 0xa80425fbULL /* containerd's default set */

/* In a child: the profile for caps, then the call; its errno (0: it worked). */
static int errno_under_default(uint64_t caps, long nr, long a0, long a1)
{
        int st = 0;
        pid_t pid = fork();

        if (pid == 0) {
                struct pfs_error e = { 0 };
                long r;

                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || ctr_seccomp_load_default(caps, &e) < 0)
                        _exit(255);
                r = syscall(nr, a0, a1, 0, 0, 0);
                _exit(r < 0 ? (errno & 0x7f) : 0);
        }
        if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
                return -1;
        return WEXITSTATUS(st);
}

static void test_seccomp_default(void)
{
        tap_is_int(errno_under_default(DEFAULT_CAPS, SYS_getpid, 0, 0), 0, "RuntimeDefault: getpid is allowed");
        tap_is_int(errno_under_default(DEFAULT_CAPS, SYS_keyctl, 0, -3), EPERM, "RuntimeDefault: keyctl: EPERM");
        tap_is_int(errno_under_default(DEFAULT_CAPS, SYS_add_key, 0, 0), EPERM, "RuntimeDefault: add_key: EPERM");
        tap_is_int(errno_under_default(DEFAULT_CAPS, SYS_unshare, CLONE_NEWUSER, 0), EPERM,
                   "RuntimeDefault: unshare without CAP_SYS_ADMIN: EPERM");
        tap_is_int(errno_under_default(DEFAULT_CAPS, SYS_clone3, 0, 0), ENOSYS,
                   "RuntimeDefault: clone3 without CAP_SYS_ADMIN: ENOSYS");
        tap_is_int(errno_under_default(DEFAULT_CAPS | CAP_BIT(21), SYS_clone3, 0, 0), EINVAL,
                   "RuntimeDefault: clone3 with CAP_SYS_ADMIN reaches the kernel (EINVAL for no args)");
        tap_is_int(errno_under_default(DEFAULT_CAPS, SYS_personality, 0x0040000, 0), EPERM,
                   "RuntimeDefault: personality with a value the profile does not list: EPERM");
        tap_is_int(errno_under_default(DEFAULT_CAPS, SYS_socket, 38 /* AF_ALG */, 5), EPERM,
                   "RuntimeDefault: an AF_ALG socket: EPERM");
        tap_is_int(errno_under_default(0, SYS_chroot, (long)"/", 0), EPERM,
                   "RuntimeDefault: chroot without CAP_SYS_CHROOT in the bounding set: EPERM");
        tap_is_int(errno_under_default(DEFAULT_CAPS, 462 /* mseal */, 1, 0), ENOSYS,
                   "RuntimeDefault: a call newer than the profile: ENOSYS (runc's stub)");
}

static struct pod_spec *parse(const char *yaml)
{
        struct pfs_error err = { 0 };
        struct pod_spec **pods = NULL, *s = NULL;
        size_t n = 0;

        if (pod_manifest_parse(yaml, strlen(yaml), "t.yaml", "default", NULL, &pods, &n, &err) < 0) {
                printf("# unexpected error: %s\n", err.msg);
                return NULL;
        }
        s = pods[0];
        pods[0] = NULL;
        pod_spec_free_array(pods, n);
        return s;
}

#define SYSCTL_POD(name) "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  securityContext:\n" \
        "    sysctls: [{name: " name ", value: \"1\"}]\n  containers:\n  - {name: c, image: busybox}\n"

static void sysctl_case(const char *yaml, const char *allowed, const char *want, const char *what)
{
        struct pod_spec *s = parse(yaml);
        char *reason = NULL, *msg = NULL;
        bool rejected = s && sbx_sysctls_rejected(s, allowed, &reason, &msg);

        tap_is_str(rejected ? msg : "(admitted)", want ? want : "(admitted)", what);
        if (rejected)
                tap_is_str(reason, "SysctlForbidden", "... reason SysctlForbidden");
        free(reason);
        free(msg);
        pod_spec_free(s);
}

static void test_sysctl_admission(void)
{
        sysctl_case(SYSCTL_POD("net.ipv4.tcp_syncookies"), NULL, NULL, "sysctls: a safe one is admitted");
        sysctl_case(SYSCTL_POD("kernel.msgmnb"), NULL, "forbidden sysctl: \"kernel.msgmnb\" not allowlisted",
                    "sysctls: an unsafe one, the kubelet's message");
        sysctl_case(SYSCTL_POD("kernel.msgmnb"), "kernel.msgmax,kernel.msg*", NULL,
                    "sysctls: allowed by a prefix of --allowed-unsafe-sysctls");
        sysctl_case(SYSCTL_POD("net.core.somaxconn"), "kernel.msgmax", "forbidden sysctl: \"net.core.somaxconn\" "
                    "not allowlisted", "sysctls: not in the list");
        sysctl_case(SYSCTL_POD("net.core.somaxconn"), "net.*", NULL, "sysctls: net.*");
}

static void test_apparmor(void)
{
        struct pod_spec *s = parse("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
                                   "  - {name: c, image: busybox, securityContext: {appArmorProfile: {type: Unconfined}}}\n");
        char *reason = NULL, *msg = NULL, *text = ctr_apparmor_default_profile("podfs-test");

        tap_ok(s && !sbx_apparmor_rejected(s, &reason, &msg), "AppArmor: Unconfined needs no AppArmor");
        pod_spec_free(s);
        s = parse("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  securityContext:\n"
                  "    appArmorProfile: {type: RuntimeDefault}\n  containers:\n  - {name: c, image: busybox}\n");
        if (ctr_apparmor_host_enabled()) {
                tap_ok(s && !sbx_apparmor_rejected(s, &reason, &msg), "AppArmor: admitted on a node with AppArmor");
        } else {
                tap_ok(s && sbx_apparmor_rejected(s, &reason, &msg), "AppArmor: refused on a node without it");
                tap_is_str(msg, "Cannot enforce AppArmor: AppArmor is not enabled on the host", "... the kubelet's message");
                tap_is_str(reason, "AppArmor", "... reason AppArmor");
        }
        pod_spec_free(s);
        tap_ok(strstr(text, "profile podfs-test flags=(attach_disconnected,mediate_deleted) {") &&
               strstr(text, "  deny mount,\n") && strstr(text, "signal (send,receive) peer=podfs-test,"),
               "the default profile: containerd's template for the name");
        if (ctr_apparmor_parser_present()) {
                char path[] = "/tmp/podfs-aa-XXXXXX";
                int fd = mkstemp(path);
                struct pfs_error e = { 0 };

                tap_ok(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text) &&
                       ctr_apparmor_parse("-QK", path, &e) == 0, "apparmor_parser accepts the default profile (%s)",
                       e.msg);
                if (fd >= 0)
                        close(fd);
                unlink(path);
        } else {
                tap_ok(true, "# SKIP apparmor_parser not installed");
        }
        free(reason);
        free(msg);
        free(text);
}

int main(void)
{
        test_seccomp_default();
        test_sysctl_admission();
        test_apparmor();
        return tap_done();
}
