/* The kubelet's security admission handlers (runtime/admit.c runs them):
 * sysctls (pkg/kubelet/sysctl/allowlist.go: the safe set and
 * --allowed-unsafe-sysctls; reason SysctlForbidden) and AppArmor
 * (lifecycle.NewAppArmorAdmitHandler: a profile other than Unconfined needs
 * AppArmor on the host; reason AppArmor). The API server accepted the pod;
 * the node fails it. */
#include <string.h>
#include "pfs/util.h"
#include "sandbox.h"
#include "security.h"

/* The allowlist entry (exact, or "prefix*") that admits name, or NULL. */
static const char *sysctl_entry(const char *allowed, const char *name, char *buf, size_t n)
{
        if (pod_sysctl_is_safe(name))
                return name;
        for (const char *t = allowed; t && *t; t += strcspn(t, ",") + (t[strcspn(t, ",")] == ',')) {
                size_t len = strcspn(t, ",");

                if (!len || len >= n)
                        continue;
                memcpy(buf, t, len);
                buf[len] = '\0';
                if (buf[len - 1] == '*' ? !strncmp(name, buf, len - 1) : !strcmp(name, buf))
                        return buf;
        }
        return NULL;
}

static bool is_ipc(const char *n)
{
        return !strncmp(n, "kernel.", 7) || !strncmp(n, "fs.mqueue.", 10);
}

bool sbx_sysctls_rejected(const struct pod_spec *spec, const char *allowed, char **ret_reason, char **ret_msg)
{
        char buf[256];

        for (size_t i = 0; spec->security && i < spec->security->n_sysctls; i++) {
                const char *name = spec->security->sysctls[i].key, *e = sysctl_entry(allowed, name, buf, sizeof(buf));

                if (e && !((is_ipc(e) && spec->host_ipc) || (!is_ipc(e) && spec->host_network)))
                        continue;
                *ret_reason = xstrdup("SysctlForbidden");
                *ret_msg = e ? xasprintf("forbidden sysctl: \"%s\" not allowed with host %s enabled", name,
                                         is_ipc(e) ? "ipc" : "net")
                             : xasprintf("forbidden sysctl: \"%s\" not allowlisted", name);
                return true;
        }
        return false;
}

/* isRequired: a profile other than Unconfined, on the pod or a container
 * (or in the deprecated annotation). */
static bool apparmor_required(const struct pod_spec *spec)
{
        const struct pod_container *lists[] = { spec->init_containers, spec->containers };
        const size_t counts[] = { spec->n_init_containers, spec->n_containers };
        const char *type, *name;

        for (size_t l = 0; l < 2; l++)
                for (size_t i = 0; i < counts[l]; i++)
                        if (pod_effective_apparmor(spec, &lists[l][i], &type, &name) && strcmp(type, "Unconfined"))
                                return true;
        return false;
}

bool sbx_apparmor_rejected(const struct pod_spec *spec, char **ret_reason, char **ret_msg)
{
        if (!apparmor_required(spec) || ctr_apparmor_host_enabled())
                return false;
        *ret_reason = xstrdup("AppArmor");
        *ret_msg = xstrdup("Cannot enforce AppArmor: AppArmor is not enabled on the host");
        return true;
}
