/* The RuntimeDefault AppArmor profile, where the host has AppArmor and
 * apparmor_parser (containerd's HostSupports): "podfs-default", made from
 * containerd's default template (contrib/apparmor/template.go, itself
 * docker's) and loaded with "apparmor_parser -Kr" the first time a container
 * needs it, as containerd loads cri-containerd.apparmor.d: file, network and
 * capability rules left to the rest of the container's confinement; no mount;
 * no writes into /proc outside /proc/<pid> and /proc/sys/kernel/shm*; nothing
 * of /proc/sysrq-trigger, /proc/kcore, /sys/firmware, /sys/kernel/security;
 * signals from unconfined processes (podfs) and between the container's own. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "pfs/spawn.h"
#include "pfs/util.h"
#include "security.h"

#define APPARMOR_PARSER "/sbin/apparmor_parser"
#define APPARMOR_D "/etc/apparmor.d"

extern char **environ;

bool ctr_apparmor_parser_present(void)
{
        return access(APPARMOR_PARSER, X_OK) == 0;
}

static bool macro_exists(const char *m)
{
        _cleanup_free_ char *p = xasprintf(APPARMOR_D "/%s", m);

        return access(p, F_OK) == 0;
}

char *ctr_apparmor_default_profile(const char *name)
{
        struct pfs_buf b = { 0 };

        if (macro_exists("abi/3.0"))
                pfs_buf_printf(&b, "abi <abi/3.0>,\n");
        pfs_buf_printf(&b, "%s\n\n", macro_exists("tunables/global") ? "#include <tunables/global>" : "@{PROC}=/proc/");
        pfs_buf_printf(&b, "profile %s flags=(attach_disconnected,mediate_deleted) {\n", name);
        if (macro_exists("abstractions/base"))
                pfs_buf_printf(&b, "  #include <abstractions/base>\n");
        pfs_buf_printf(&b,
                "  network,\n  capability,\n  file,\n  umount,\n"
                "  # podfs (unconfined) may signal the container's processes, which may signal each other\n"
                "  signal (receive) peer=unconfined,\n"
                "  signal (send,receive) peer=%s,\n\n"
                "  deny @{PROC}/* w,\n"
                "  deny @{PROC}/{[^1-9/],[^1-9/][^0-9/],[^1-9s/][^0-9y/][^0-9s/],[^1-9/][^0-9/][^0-9/][^0-9/]*}/** w,\n"
                "  deny @{PROC}/sys/[^k]** w,\n"
                "  deny @{PROC}/sys/kernel/{?,??,[^s][^h][^m]**} w,\n"
                "  deny @{PROC}/sysrq-trigger rwklx,\n"
                "  deny @{PROC}/kcore rwklx,\n\n"
                "  deny mount,\n\n"
                "  deny /sys/[^f]*/** wklx,\n"
                "  deny /sys/f[^s]*/** wklx,\n"
                "  deny /sys/fs/[^c]*/** wklx,\n"
                "  deny /sys/fs/c[^g]*/** wklx,\n"
                "  deny /sys/fs/cg[^r]*/** wklx,\n"
                "  deny /sys/firmware/** rwklx,\n"
                "  deny /sys/devices/virtual/powercap/** rwklx,\n"
                "  deny /sys/kernel/security/** rwklx,\n\n"
                "  ptrace (trace,tracedby,read,readby) peer=%s,\n"
                "}\n", name, name);
        return pfs_buf_steal(&b);
}

/* apparmor_parser ARGS PATH; its output (to 1 KiB) in err when it fails. */
int ctr_apparmor_parse(const char *args, const char *path, struct pfs_error *err)
{
        char *argv[] = { "apparmor_parser", (char *)args, (char *)path, NULL };
        char out[1024];
        size_t len = 0;
        int p[2], st = 0, r;
        pid_t pid;
        ssize_t n;

        if (pipe2(p, O_CLOEXEC) < 0)
                return pfs_error_set(err, errno, "pipe");
        r = -pfs_spawn(APPARMOR_PARSER, argv, environ, &(struct pfs_spawn){ .fd = { PFS_SPAWN_NULL, p[1], p[1] } },
                       &pid);
        close(p[1]);
        while (r == 0 && (n = read(p[0], out + len, sizeof(out) - 1 - len)) != 0)
                if (n > 0)
                        len += (size_t)n;
                else if (errno != EINTR)
                        break;
        close(p[0]);
        out[len] = '\0';
        out[strcspn(out, "\n")] = '\0';
        if (r != 0)
                return pfs_error_set(err, r, "parser error(%s)", strerror(r));
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                return pfs_error_set(err, EIO, "parser error(\"%s\"): exit status %d", out,
                                     WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
        return 0;
}

/* LoadDefaultProfile: loaded already, or written to STATE and loaded now. */
int ctr_apparmor_load_default(const char *state_dir, const char *name, struct pfs_error *err)
{
        _cleanup_free_ char *path = xasprintf("%s/apparmor-%s.%d", state_dir, name, (int)getpid()), *text = NULL;
        struct pfs_error e = { 0 };
        int r;

        if (ctr_apparmor_check_loaded(name, &e) == 0)
                return 0;
        text = ctr_apparmor_default_profile(name);
        r = pfs_write_file_atomic_at(AT_FDCWD, path, text, strlen(text), 0600, err);
        if (r == 0)
                r = ctr_apparmor_parse("-Kr", path, err);
        unlink(path);
        if (r < 0)
                return pfs_error_wrap(err, "load apparmor profile %s", path);
        return 0;
}
