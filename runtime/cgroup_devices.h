/* The device policy of every container (cgroup_devices.c) and its cgroup v2
 * form, an eBPF program (cgroup_devices_bpf.c). Kept apart from the cgroup
 * drivers so the unit tests can check the rules and the program without root. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <linux/bpf.h>
#include "pfs/error.h"

#define POD_DEV_ANY (-1)

/* Access bits, as the kernel's BPF_DEVCG_ACC_* (v1 writes them as "m", "r", "w"). */
enum {
        POD_DEV_MKNOD = BPF_DEVCG_ACC_MKNOD,
        POD_DEV_READ = BPF_DEVCG_ACC_READ,
        POD_DEV_WRITE = BPF_DEVCG_ACC_WRITE,
        POD_DEV_RWM = POD_DEV_MKNOD | POD_DEV_READ | POD_DEV_WRITE,
};

/* One "allow" rule; everything not allowed by some rule is denied. */
struct pod_device_rule {
        char type;              /* 'c', 'b', or 'a' (both) */
        int64_t major, minor;   /* POD_DEV_ANY = any */
        unsigned access;        /* POD_DEV_* bits */
};

/* runc's default: mknod of any node (the node is useless without read or
 * write), and the OCI default devices. */
extern const struct pod_device_rule pod_device_rules_default[];
extern const size_t pod_device_rules_default_n;

/* "c 1:3 rwm", "b *:* m": the v1 devices.allow syntax. Returns the length or
 * -ENOSPC. */
int pod_device_rule_format(const struct pod_device_rule *r, char *buf, size_t size);

/* The BPF_PROG_TYPE_CGROUP_DEVICE program allowing exactly RULES (return 1)
 * and denying the rest (return 0). Caller frees *ret_insns. */
int pod_device_prog_build(const struct pod_device_rule *rules, size_t n, struct bpf_insn **ret_insns,
                          size_t *ret_n);
/* Load the program of RULES through the verifier; returns its fd (O_CLOEXEC). */
int pod_device_prog_load(const struct pod_device_rule *rules, size_t n, struct pfs_error *err);
/* Attach the program of RULES to the cgroup2 directory CGROUP_FD as a
 * BPF_CGROUP_DEVICE program. BPF_F_ALLOW_MULTI: programs of the ancestors
 * still run, so the effective policy is never looser than the host's. */
int pod_device_prog_attach(int cgroup_fd, const struct pod_device_rule *rules, size_t n,
                           struct pfs_error *err);
