/* A container's securityContext, applied as containerd + runc do: the
 * effective user (runAsUser/runAsGroup over the image's), supplementary
 * groups (the primary group, fsGroup, supplementalGroups), capabilities
 * (containerd's default set; add ALL, drop ALL, then each add and drop;
 * privileged: all), no_new_privs (allowPrivilegeEscalation: false) and the
 * RuntimeDefault seccomp profile (seccomp.c). Unset seccompProfile is
 * Unconfined, the kubelet's default without --seccomp-default. */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "image_internal.h"
#include "mount.h"
#include "pfs/util.h"
#include "security.h"
#include "syscalls.h"

#define BIT(c) (1ULL << (c))

uint64_t ctr_sec_default_caps(void)
{
        return BIT(CAP_CHOWN) | BIT(CAP_DAC_OVERRIDE) | BIT(CAP_FSETID) | BIT(CAP_FOWNER) | BIT(CAP_MKNOD) |
               BIT(CAP_NET_RAW) | BIT(CAP_SETGID) | BIT(CAP_SETUID) | BIT(CAP_SETFCAP) | BIT(CAP_SETPCAP) |
               BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_SYS_CHROOT) | BIT(CAP_KILL) | BIT(CAP_AUDIT_WRITE);
}

static uint64_t known_caps(void)
{
        int last = (int)cap_max_bits() - 1;

        return last >= 63 ? ~0ULL : BIT(last + 1) - 1;
}

/* "All" capabilities: all that the sandbox holds (what runc can give). */
static uint64_t all_caps(void)
{
        cap_t c = cap_get_proc();
        uint64_t m = 0;

        for (int i = 0; c && i < 64 && (known_caps() & BIT(i)); i++) {
                cap_flag_value_t v = CAP_CLEAR;

                if (cap_get_flag(c, i, CAP_PERMITTED, &v) == 0 && v == CAP_SET)
                        m |= BIT(i);
        }
        if (c)
                cap_free(c);
        return m;
}

static int cap_lookup(const char *name, struct pfs_error *err)
{
        _cleanup_free_ char *u = xstrdup(name);
        int n;

        for (char *p = u; *p; p++)
                *p = (char)toupper((unsigned char)*p);
        n = pod_capability_number(u);
        if (n == -1 || (n >= 0 && !(known_caps() & BIT(n))))
                return pfs_error_set(err, EINVAL, "unknown capability \"%s%s\"", strncmp(u, "CAP_", 4) ? "CAP_" : "",
                                     u);
        return n;
}

/* containerd's WithCapabilities: ALL first, then each name. */
static int caps_compute(struct ctr_sec *x, const struct pod_security_context *sc, struct pfs_error *err)
{
        x->caps = ctr_sec_default_caps() & all_caps();
        if (!sc)
                return 0;
        if (sc->privileged == 1) {
                x->caps = all_caps();
                return 0;
        }
        for (size_t i = 0; i < sc->n_cap_add; i++)
                if (!strcasecmp(sc->cap_add[i], "ALL"))
                        x->caps = all_caps();
        for (size_t i = 0; i < sc->n_cap_drop; i++)
                if (!strcasecmp(sc->cap_drop[i], "ALL"))
                        x->caps = 0;
        for (size_t i = 0; i < sc->n_cap_add; i++) {
                int n = cap_lookup(sc->cap_add[i], err);

                if (n == -EINVAL)
                        return n;
                if (n >= 0)
                        x->caps |= BIT(n) & all_caps();
        }
        for (size_t i = 0; i < sc->n_cap_drop; i++) {
                int n = cap_lookup(sc->cap_drop[i], err);

                if (n == -EINVAL)
                        return n;
                if (n >= 0)
                        x->caps &= ~BIT(n);
        }
        return 0;
}

static void group_add(struct ctr_sec *x, int64_t g)
{
        for (int i = 0; i < x->n_groups; i++)
                if (x->groups[i] == (gid_t)g)
                        return;
        if (x->n_groups < CTR_SEC_MAX_GROUPS)
                x->groups[x->n_groups++] = (gid_t)g;
}

static void home_fix(struct ctr_process *proc, const struct pod_container *c, const char *rootfs);

static int user_compute(struct ctr_process *proc, const struct pod_spec *pod, const struct pod_container *c,
                        const char *rootfs, struct pfs_error *err)
{
        int64_t uid = pod_effective_run_as_user(pod, c), gid = pod_effective_run_as_group(pod, c);

        if (uid >= 0) {
                _cleanup_free_ char *u = xasprintf("%lld", (long long)uid);
                uid_t ru;
                gid_t rg;
                int r = image_user_resolve(rootfs, u, &ru, &rg, err);

                if (r < 0)
                        return r;
                proc->set_user = true;
                proc->uid = ru;
                proc->gid = rg;
                home_fix(proc, c, rootfs);
        }
        if (gid >= 0) {
                proc->set_user = true;
                proc->gid = (gid_t)gid;
        }
        return 0;
}

/* ---- supplementalGroupsPolicy Merge: the image's /etc/group ---- */

#define DB_READ_MAX (4u << 20)

/* FILE of the image, read inside its root (it is hostile input: a regular file only). */
static FILE *image_db_open(const char *rootfs, const char *file)
{
        _cleanup_close_ int root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int fd = -1;
        struct stat st;
        FILE *f;

        if (root < 0)
                return NULL;
        fd = pfs_openat2(root, file, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(f = fdopen(fd, "r")))
                return NULL;
        fd = -1;
        return f;
}

/* Field FIELD (0 = name, 5 = home) of uid's line in the image's /etc/passwd, or NULL. */
static char *image_passwd_field(const char *rootfs, uid_t uid, int field)
{
        _cleanup_fclose_ FILE *f = image_db_open(rootfs, "/etc/passwd");
        char line[1024], *ret = NULL;

        for (size_t seen = 0; f && !ret && seen < DB_READ_MAX && fgets(line, sizeof(line), f);
             seen += strlen(line)) {
                char *v[7] = { line }, *p = line;
                int n = 1;

                line[strcspn(line, "\r\n")] = '\0';
                while (n < 7 && (p = strchr(p, ':'))) {
                        *p++ = '\0';
                        v[n++] = p;
                }
                if (n >= 6 && v[2][0] >= '0' && v[2][0] <= '9' && strtoul(v[2], NULL, 10) == uid)
                        ret = xstrdup(v[field]);
        }
        return ret;
}

static char *image_user_name(const char *rootfs, uid_t uid)
{
        return image_passwd_field(rootfs, uid, 0);
}

/* runAsUser changed the user: HOME as runc sets it (the passwd entry's home,
 * else "/"), unless the image or the spec sets HOME. */
static void home_fix(struct ctr_process *proc, const struct pod_container *c, const char *rootfs)
{
        struct image_config *img = NULL;
        struct pfs_error e = { 0 };
        bool set = false;
        _cleanup_free_ char *home = NULL;

        for (size_t i = 0; i < c->n_env; i++)
                set |= !strcmp(c->env[i].name, "HOME");
        if (image_config_load(rootfs, &img, &e) == 0 && img)
                for (size_t i = 0; img->env && img->env[i]; i++)
                        set |= !strncmp(img->env[i], "HOME=", 5);
        image_config_free(img);
        if (set)
                return;
        home = image_passwd_field(rootfs, proc->uid, 5);
        ctr_process_setenv(proc, "HOME", home && *home ? home : "/");
}

/* containerd's additional gids: the groups of /etc/group that list the user. */
static void image_groups_merge(struct ctr_sec *x, const char *rootfs, uid_t uid)
{
        _cleanup_free_ char *name = image_user_name(rootfs, uid);
        _cleanup_fclose_ FILE *f = name ? image_db_open(rootfs, "/etc/group") : NULL;
        char line[4096];

        for (size_t seen = 0; f && seen < DB_READ_MAX && fgets(line, sizeof(line), f); seen += strlen(line)) {
                char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL, *c3 = c2 ? strchr(c2 + 1, ':') : NULL;

                if (!c3)
                        continue;
                c3[strcspn(c3, "\r\n")] = '\0';
                for (char *save = NULL, *m = strtok_r(c3 + 1, ",", &save); m; m = strtok_r(NULL, ",", &save))
                        if (!strcmp(m, name))
                                group_add(x, (int64_t)strtoul(c2 + 1, NULL, 10));
        }
}

/* containerd's generateApparmorSpecOpts, where the kubelet found AppArmor on
 * the host (else its admission failed the pod already): without
 * apparmor_parser, a profile other than Unconfined is an error; Unconfined
 * gets none; RuntimeDefault, or nothing set for a container that is not
 * privileged, podfs's default profile (apparmor_default.c); Localhost NAME a
 * loaded profile NAME. */
static int apparmor_compute(struct ctr_sec *x, const struct pod_spec *pod, const struct pod_container *c,
                            const char *state_dir, struct pfs_error *err)
{
        const char *type = NULL, *name = NULL;
        bool set = pod_effective_apparmor(pod, c, &type, &name);
        int r;

        if (!ctr_apparmor_host_enabled() || (set && !strcmp(type, "Unconfined")))
                return 0;
        if (!ctr_apparmor_parser_present())
                return set ? pfs_error_set(err, ENOTSUP, "failed to generate apparmor spec opts: apparmor is not "
                                           "supported") : 0;
        if (!set && x->privileged)
                return 0;
        if (!set || !strcmp(type, "RuntimeDefault")) {
                name = CTR_APPARMOR_DEFAULT;
                r = ctr_apparmor_load_default(state_dir, name, err);
        } else if (!name || strlen(name) >= sizeof(x->apparmor)) {
                r = pfs_error_set(err, ENAMETOOLONG, "apparmor profile not found %s", name ? name : "");
        } else {
                r = ctr_apparmor_check_loaded(name, err);
        }
        if (r < 0)
                return r;
        snprintf(x->apparmor, sizeof(x->apparmor), "%s", name);
        return 0;
}

int ctr_sec_create_check(const struct pod_spec *pod, const struct pod_container *c, const char *state_dir,
                         struct pfs_error *err)
{
        const struct pod_seccomp_profile *sp = pod_effective_seccomp(pod, c);
        void *profile = NULL;
        int r;

        if (!sp || strcmp(sp->type, "Localhost") || pod_container_privileged(c))
                return 0;
        r = ctr_seccomp_profile_load(state_dir, sp->localhost_profile, &profile, err);
        ctr_seccomp_profile_free(profile);
        return r;
}

int ctr_sec_build(struct ctr_sec *x, struct ctr_process *proc, const struct pod_spec *pod,
                  const struct pod_container *c, const char *rootfs, const char *state_dir, struct pfs_error *err)
{
        const struct pod_security_context *psc = pod->security;
        const struct pod_seccomp_profile *sp = pod_effective_seccomp(pod, c);
        int r;

        memset(x, 0, sizeof(*x));
        r = caps_compute(x, c->security, err);
        if (r >= 0)
                r = user_compute(proc, pod, c, rootfs, err);
        if (r < 0)
                return r;
        x->privileged = pod_container_privileged(c);
        x->no_new_privs = pod_container_no_new_privs(c);
        x->read_only_root = pod_container_read_only_root(c);
        x->seccomp = sp && !strcmp(sp->type, "RuntimeDefault") && !x->privileged ? CTR_SECCOMP_RUNTIME_DEFAULT
                                                                                  : CTR_SECCOMP_NONE;
        if (sp && !strcmp(sp->type, "Localhost") && !x->privileged) {
                r = ctr_seccomp_profile_load(state_dir, sp->localhost_profile, &x->profile, err);
                if (r < 0)
                        return r;
                x->seccomp = CTR_SECCOMP_LOCALHOST;
        }
        if ((r = apparmor_compute(x, pod, c, state_dir, err)) < 0)
                return r;
        /* The container's groups, never the sandbox's (as containerd sets them). */
        x->set_groups = true;
        group_add(x, proc->set_user ? proc->gid : 0);
        if (!psc || !psc->supplemental_groups_policy || strcmp(psc->supplemental_groups_policy, "Strict"))
                image_groups_merge(x, rootfs, proc->set_user ? proc->uid : 0);
        if (psc && psc->fs_group >= 0)
                group_add(x, psc->fs_group);
        for (size_t i = 0; psc && i < psc->n_supplemental_groups; i++)
                group_add(x, psc->supplemental_groups[i]);
        return 0;
}

/* ---- in the child ---- */

/* The bounding set first (it needs CAP_SETPCAP, which the set may lack). */
static int bounding_set(uint64_t caps, struct pfs_error *err)
{
        int last = (int)cap_max_bits() - 1;

        for (int i = 0; i <= last && i < 64; i++)
                if (!(caps & BIT(i)) && prctl(PR_CAPBSET_DROP, i, 0, 0, 0) < 0 && errno != EINVAL)
                        return pfs_error_set(err, errno, "drop capability %d from the bounding set", i);
        return 0;
}

/* Then, once the user is set, permitted and effective (runc's ApplyCaps). */
static int caps_set(uint64_t caps, struct pfs_error *err)
{
        int last = (int)cap_max_bits() - 1;
        cap_value_t v[64];
        int n = 0;
        cap_t c;
        int r = 0;

        for (int i = 0; i <= last && i < 64; i++)
                if (caps & BIT(i))
                        v[n++] = i;
        prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
        /* Inheritable stays empty (CVE-2022-29162). */
        c = cap_init();
        if (!c)
                return pfs_error_set(err, errno, "cap_init");
        if ((n && (cap_set_flag(c, CAP_EFFECTIVE, n, v, CAP_SET) < 0 ||
                   cap_set_flag(c, CAP_PERMITTED, n, v, CAP_SET) < 0)) || cap_set_proc(c) < 0)
                r = pfs_error_set(err, errno, "set capabilities");
        cap_free(c);
        return r;
}

/* setgroups, setgid, setuid keeping the permitted set (PR_SET_KEEPCAPS), as
 * runc's setupUser between ApplyBoundingSet and ApplyCaps: a container that
 * drops CAP_SETUID (drop: [ALL]) still becomes its user. */
static int user_switch(const struct ctr_sec *x, const struct ctr_process *proc, struct pfs_error *err)
{
        if (x->set_groups && setgroups((size_t)x->n_groups, x->groups) < 0)
                return pfs_error_set(err, errno, "setgroups");
        if (!proc->set_user)
                return 0;
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return pfs_error_set(err, errno, "keep capabilities across the user switch");
        if (setgid(proc->gid) < 0 || setuid(proc->uid) < 0)
                return pfs_error_set(err, errno, "switch to user %u:%u", (unsigned)proc->uid, (unsigned)proc->gid);
        prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
        return 0;
}

static int seccomp_load_now(const struct ctr_sec *x, struct pfs_error *err)
{
        if (x->seccomp == CTR_SECCOMP_RUNTIME_DEFAULT)
                return ctr_seccomp_load_default(x->caps, err);
        if (x->seccomp == CTR_SECCOMP_LOCALHOST)
                return ctr_seccomp_profile_apply(x->profile, err);
        return 0;
}

int ctr_sec_apply(const struct ctr_sec *x, const struct ctr_process *proc, struct pfs_error *err)
{
        int r;

        /* runc's order: the AppArmor profile (taking effect at execve) first */
        if (x->apparmor[0] && (r = ctr_apparmor_exec(x->apparmor, err)) < 0)
                return r;
        /* Without no_new_privs, seccomp needs CAP_SYS_ADMIN: load it while we hold it
         * (the profile allows what follows: capset, setgroups, setresuid, execve). */
        if (!x->no_new_privs && (r = seccomp_load_now(x, err)) < 0)
                return r;
        /* runc's order: bounding set, user, then the capabilities; a non-root
         * user keeps none of them across exec (no ambient set), as in Kubernetes */
        if ((r = bounding_set(x->caps, err)) < 0 || (r = user_switch(x, proc, err)) < 0 ||
            (r = caps_set(x->caps, err)) < 0)
                return r;
        /* A user change makes us dumpable again if fs.suid_dumpable says so: not before execve. */
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        if (x->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return pfs_error_set(err, errno, "set no_new_privs");
        if (x->no_new_privs)
                return seccomp_load_now(x, err);
        return 0;
}

/* ---- runAsNonRoot ---- */

static bool all_digits(const char *s)
{
        return *s && strspn(s, "0123456789") == strlen(s);
}

int ctr_sec_verify_non_root(const struct pod_spec *pod, const char *pod_uid, const struct pod_container *c,
                            const char *rootfs, struct pfs_error *err)
{
        _cleanup_free_ char *who = NULL, *user = NULL;
        struct image_config *img = NULL;
        int64_t uid = pod_effective_run_as_user(pod, c);
        int r;

        if (pod_effective_run_as_non_root(pod, c) != 1)
                return 0;
        who = xasprintf("\"%s_%s(%s)\"", pod->name, pod->namespace ? pod->namespace : "default", pod_uid);
        if (uid >= 0)
                return uid ? 0 : pfs_error_set(err, EPERM, "container's runAsUser breaks non-root policy "
                                               "(pod: %s, container: %s)", who, c->name);
        r = image_config_load(rootfs, &img, err);
        if (r < 0)
                return r;
        user = xstrdup(img && img->user ? img->user : "");
        image_config_free(img);
        user[strcspn(user, ":")] = '\0';
        if (*user && !all_digits(user))
                return pfs_error_set(err, EPERM, "container has runAsNonRoot and image has non-numeric user (%s), "
                                     "cannot verify user is non-root (pod: %s, container: %s)", user, who, c->name);
        if (!*user || strtoll(user, NULL, 10) == 0)
                return pfs_error_set(err, EPERM, "container has runAsNonRoot and image will run as root "
                                     "(pod: %s, container: %s)", who, c->name);
        return 0;
}

/* ---- privileged: the host's devices ---- */

int ctr_host_devices(int rootfd, struct pfs_error *err)
{
        _cleanup_close_ int devfd = pfs_openat2(rootfd, "/dev", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0,
                                                RESOLVE_IN_ROOT);
        DIR *d;
        struct dirent *de;

        if (devfd < 0)
                return pfs_error_set(err, errno, "open the container's /dev");
        d = opendir("/dev");
        if (!d)
                return pfs_error_set(err, errno, "open the host's /dev");
        while ((de = readdir(d))) {
                struct stat st;

                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
                        continue;
                if (mknodat(devfd, de->d_name, st.st_mode & (S_IFMT | 07777), st.st_rdev) < 0 && errno != EEXIST) {
                        int e = errno;

                        closedir(d);
                        return pfs_error_set(err, e, "create /dev/%s", de->d_name);
                }
                fchownat(devfd, de->d_name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
        }
        closedir(d);
        return 0;
}

int pod_volume_fs_group(int vfd, const struct pod_spec *spec, const char *name, struct pfs_error *err)
{
        _cleanup_close_ int fd = -1;
        struct stat st;

        if (!spec->security || spec->security->fs_group < 0)
                return 0;
        fd = openat(vfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0)
                return pfs_error_set(err, errno, "open emptyDir '%s'", name);
        if (fchown(fd, (uid_t)-1, (gid_t)spec->security->fs_group) < 0 ||
            fchmod(fd, (st.st_mode & 07777) | S_ISGID | 0070) < 0)
                return pfs_error_set(err, errno, "set the fsGroup of emptyDir '%s'", name);
        return 0;
}

/* ---- sysctls: written in the pod's net and ipc namespaces ---- */

int pod_sysctls_apply(const struct pod_spec *spec, struct pfs_error *err)
{
        for (size_t i = 0; spec->security && i < spec->security->n_sysctls; i++) {
                const struct pod_kv *kv = &spec->security->sysctls[i];
                _cleanup_free_ char *path = xasprintf("/proc/sys/%s", kv->key);
                _cleanup_close_ int fd = -1;
                size_t len = strlen(kv->value ? kv->value : "");

                for (char *p = path + strlen("/proc/sys/"); *p; p++)
                        if (*p == '.')
                                *p = '/';
                fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0 || write(fd, kv->value ? kv->value : "", len) != (ssize_t)len)
                        return pfs_error_set(err, errno, "write sysctl \"%s\" = \"%s\"", kv->key,
                                             kv->value ? kv->value : "");
        }
        return 0;
}
