/* A container's securityContext as the runtime applies it (security.c,
 * seccomp.c): user, groups, capabilities (containerd's default set, add/drop,
 * privileged), no_new_privs, seccomp. Built by the sandbox before clone; the
 * child applies it last, before exec. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "pfs/error.h"
#include "pfs/spec.h"
#include "process.h"

#define CTR_SEC_MAX_GROUPS 64

enum ctr_seccomp { CTR_SECCOMP_NONE, CTR_SECCOMP_RUNTIME_DEFAULT, CTR_SECCOMP_LOCALHOST };

struct ctr_sec {
        uint64_t caps;          /* effective = permitted = bounding (bit = capability number) */
        bool set_groups;        /* replace the supplementary groups by groups[] */
        gid_t groups[CTR_SEC_MAX_GROUPS];
        int n_groups;
        bool no_new_privs;
        bool privileged;
        bool read_only_root;
        enum ctr_seccomp seccomp;
        void *profile;          /* Localhost: the compiled filter (seccomp_profile.c) */
        char apparmor[256];     /* the AppArmor profile to exec into, "" for none (apparmor.c) */
};

/* containerd's default capability set, as a mask. */
uint64_t ctr_sec_default_caps(void);
/* From the pod and container specs: runAsUser/runAsGroup override the image's
 * user in proc (set_user, uid, gid); groups, capabilities (an unknown name is
 * an error: "unknown capability \"CAP_X\""), no_new_privs, seccomp. */
int ctr_sec_build(struct ctr_sec *x, struct ctr_process *proc, const struct pod_spec *pod,
                  const struct pod_container *c, const char *rootfs, const char *state_dir, struct pfs_error *err);
/* What containerd reads when it creates the container (CRI CreateContainer),
 * before anything runs: a Localhost seccomp profile. 0, or the error (the
 * kubelet's CreateContainerError). */
int ctr_sec_create_check(const struct pod_spec *pod, const struct pod_container *c, const char *state_dir,
                         struct pfs_error *err);
/* In the child, after its root is set up: bounding set, capabilities, groups,
 * user, no_new_privs and seccomp, in runc's order. */
int ctr_sec_apply(const struct ctr_sec *x, const struct ctr_process *proc, struct pfs_error *err);
/* The kubelet's verifyRunAsNonRoot: 0, or -EPERM with its message (pod is
 * "name_namespace(uid)"). */
int ctr_sec_verify_non_root(const struct pod_spec *pod, const char *pod_uid, const struct pod_container *c,
                            const char *rootfs, struct pfs_error *err);

/* fsGroup on an emptyDir (the directory NAME in vfd), as the kubelet's
 * SetVolumeOwnership: group fsGroup, group rw and setgid (new files take the
 * group). The directory itself: a fresh emptyDir holds nothing else. */
int pod_volume_fs_group(int vfd, const struct pod_spec *spec, const char *name, struct pfs_error *err);

/* fsgroup.c: fsGroup on the tree at dir as the kubelet's SetVolumeOwnership
 * (group, setgid directories, group bits rw, r when read_only); with
 * honour_policy, fsGroupChangePolicy OnRootMismatch skips a root that matches. */
int pod_volume_ownership(const char *dir, const struct pod_spec *spec, bool read_only, bool honour_policy,
                         struct pfs_error *err);

/* The pod's sysctls, from the sandbox once it is in the pod's net and ipc
 * namespaces (validation and the daemon allowed only namespaced ones). */
int pod_sysctls_apply(const struct pod_spec *spec, struct pfs_error *err);

/* apparmor.c: AppArmor on the host (securityfs and the module enabled); a
 * Localhost profile loaded ("apparmor profile not found NAME", containerd's);
 * "exec LABEL" to the process's attr/exec (applied at the next execve); the
 * label a running process has (NULL: unconfined or no AppArmor). */
bool ctr_apparmor_host_enabled(void);
/* apparmor_default.c: the RuntimeDefault profile, containerd's template
 * (its text, for a name; loaded with apparmor_parser -Kr unless loaded
 * already: "load apparmor profile PATH: parser error(...)"); whether
 * /sbin/apparmor_parser is there (containerd's HostSupports needs it); a run
 * of apparmor_parser ARGS PATH. */
#define CTR_APPARMOR_DEFAULT "podfs-default"
char *ctr_apparmor_default_profile(const char *name);
int ctr_apparmor_load_default(const char *state_dir, const char *name, struct pfs_error *err);
bool ctr_apparmor_parser_present(void);
int ctr_apparmor_parse(const char *args, const char *path, struct pfs_error *err);
int ctr_apparmor_check_loaded(const char *name, struct pfs_error *err);
int ctr_apparmor_exec(const char *label, struct pfs_error *err);
char *ctr_apparmor_label_of(pid_t pid);

/* seccomp.c: containerd's default profile (RuntimeDefault) for a process
 * whose bounding set is caps: an allowlist (EPERM for the rest), libseccomp,
 * loaded now. */
int ctr_seccomp_load_default(uint64_t caps, struct pfs_error *err);
/* seccomp_enosys.c: ENOSYS for a native call numbered above max_nr (runc's
 * stub), a filter loaded after the profile. */
int ctr_seccomp_enosys_stub(int max_nr, struct pfs_error *err);
/* seccomp_profile.c: a Localhost profile STATE/seccomp/NAME compiled (an
 * error in the words of containerd: "cannot load seccomp profile ..."), loaded
 * in the child, freed; and the registry of running containers' profiles (by
 * pid) that exec children take theirs from (NULL: RuntimeDefault). */
int ctr_seccomp_profile_load(const char *state_dir, const char *name, void **ret_ctx, struct pfs_error *err);
int ctr_seccomp_profile_apply(void *ctx, struct pfs_error *err);
void ctr_seccomp_profile_free(void *ctx);
void ctr_seccomp_register(pid_t pid, void *ctx);
void *ctr_seccomp_registered(pid_t pid);
