/* appArmorProfile where the host has AppArmor, as the kubelet, containerd and
 * runc do it: the host has it when securityfs shows apparmor and the module
 * says "Y" (runc's IsEnabled); a Localhost profile must be loaded (containerd
 * reads the profiles list) and is applied by writing "exec <name>" to the
 * process's attr/apparmor/exec (attr/exec on older kernels) just before
 * execve, in the container's child and in exec probe and hook children, which
 * take the label the container runs with. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "pfs/util.h"
#include "security.h"

#define APPARMOR_FS "/sys/kernel/security/apparmor"

bool ctr_apparmor_host_enabled(void)
{
        char buf[4] = "";
        int fd;

        if (access(APPARMOR_FS, F_OK) < 0)
                return false;
        fd = open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        if (read(fd, buf, sizeof(buf) - 1) < 1)
                buf[0] = '\0';
        close(fd);
        return buf[0] == 'Y';
}

/* A line of the profiles list is "name (mode)", or "ns://name (mode)". */
int ctr_apparmor_check_loaded(const char *name, struct pfs_error *err)
{
        FILE *f = fopen(APPARMOR_FS "/profiles", "re");
        char line[4096];
        bool found = false;

        if (!f)
                return pfs_error_set(err, errno, "failed to generate apparmor spec opts: %s", strerror(errno));
        while (!found && fgets(line, sizeof(line), f)) {
                char *mode = strrchr(line, '(');

                if (!mode)
                        continue;
                while (mode > line && mode[-1] == ' ')
                        mode--;
                *mode = '\0';
                found = !strcmp(line, name);
        }
        fclose(f);
        return found ? 0 : pfs_error_set(err, ENOENT, "apparmor profile not found %s", name);
}

int ctr_apparmor_exec(const char *label, struct pfs_error *err)
{
        _cleanup_free_ char *cmd = xasprintf("exec %s", label);
        int fd = open("/proc/thread-self/attr/apparmor/exec", O_WRONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                fd = open("/proc/self/attr/exec", O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return pfs_error_set(err, errno, "apparmor failed to apply profile: open attr/exec");
        n = write(fd, cmd, strlen(cmd));
        close(fd);
        if (n != (ssize_t)strlen(cmd))
                return pfs_error_set(err, n < 0 ? errno : EIO, "apparmor failed to apply profile: write %s", cmd);
        return 0;
}

char *ctr_apparmor_label_of(pid_t pid)
{
        _cleanup_free_ char *p = xasprintf("/proc/%d/attr/apparmor/current", (int)pid);
        _cleanup_free_ char *q = xasprintf("/proc/%d/attr/current", (int)pid);
        char buf[4096];
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        ssize_t n;
        char *mode;

        if (fd < 0)
                fd = open(q, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return NULL;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return NULL;
        buf[n] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        /* "name (enforce)"; "unconfined" has no mode */
        if ((mode = strstr(buf, " (")))
                *mode = '\0';
        return strcmp(buf, "unconfined") && *buf ? xstrdup(buf) : NULL;
}
