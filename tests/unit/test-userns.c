/* Unit tests for the host id ranges of hostUsers: false pods
 * (common/userns_ranges.c): the node's range and its checks, allocation,
 * reload from the state dir, no sharing, exhaustion, release. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "pfs/store.h"
#include "pfs/userns.h"
#include "pfs/util.h"
#include "tap.h"

#define U(n) "0000000" #n "-0000-4000-8000-000000000000"

static int state_fd = -1;
static char state_dir[] = "/tmp/test-userns.XXXXXX";

static void pod_make(const char *uid)
{
        _cleanup_close_ int pods = openat(state_fd, PFS_PODS_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        pod_dir_create_at(pods, uid);
}

static void pod_remove(const char *uid)
{
        _cleanup_close_ int pods = openat(state_fd, PFS_PODS_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        pod_dir_remove_at(pods, uid, NULL);
}

static long long alloc(const char *uid, const struct pfs_userns_range *r, struct pfs_error *err)
{
        uint32_t host = 0;
        int ret;

        pfs_error_clear(err);
        ret = pfs_userns_allocate(state_fd, uid, r, &host, err);
        return ret < 0 ? ret : (long long)host;
}

static void test_range_config(void)
{
        struct pfs_userns_range r = { 0 };
        struct pfs_error err = { 0 };
        char uid_path[64], gid_path[64];
        FILE *f;

        tap_is_int(pfs_userns_range_parse("65536:7208960", &r, &err), 0, "parse FIRST:LENGTH");
        tap_ok(r.first == 65536 && r.length == 7208960, "parsed values");
        tap_is_int(pfs_userns_range_parse("65536", &r, &err), -EINVAL, "parse: no length");
        tap_is_int(pfs_userns_range_check(&r, &err), 0, "65536 x 110 is enough for 110 pods");
        r = (struct pfs_userns_range){ PFS_USERNS_DEFAULT_FIRST, PFS_USERNS_DEFAULT_LENGTH };
        tap_is_int(pfs_userns_range_check(&r, &err), 0, "the default (the kubelet's: 65536 up to 2^32) is valid");
        r = (struct pfs_userns_range){ 65536, 65536 * 110 };
        r = (struct pfs_userns_range){ 100000, 65536 * 200 };
        pfs_userns_range_check(&r, &err);
        tap_is_str(err.msg, "kubelet user assigned ID 100000 is not a multiple of 65536", "unaligned first id");
        r = (struct pfs_userns_range){ 0, 65536 * 200 };
        pfs_userns_range_check(&r, &err);
        tap_is_str(err.msg, "kubelet user assigned ID 0 must be greater or equal to 65536", "0 is never mapped");
        r = (struct pfs_userns_range){ 65536, 65536 * 109 };
        pfs_userns_range_check(&r, &err);
        tap_is_str(err.msg, "kubelet user assigned IDs are not enough to support 110 pods", "too few for the node");
        r = (struct pfs_userns_range){ 65536, 65537 * 200 };
        pfs_userns_range_check(&r, &err);
        tap_is_str(err.msg, "kubelet user assigned IDs length 13107400 is not a multiple of 65536", "odd length");

        snprintf(uid_path, sizeof(uid_path), "%s/subuid", state_dir);
        snprintf(gid_path, sizeof(gid_path), "%s/subgid", state_dir);
        tap_is_int(pfs_userns_range_subid(uid_path, gid_path, "podfs", &r, &err), 0, "no subid files: none");
        f = fopen(uid_path, "w");
        fputs("alice:100000:65536\npodfs:1048576:16777216\n", f);
        fclose(f);
        tap_is_int(pfs_userns_range_subid(uid_path, gid_path, "podfs", &r, &err), -EINVAL, "subuid only: refused");
        tap_is_str(err.msg, "mismatched subuids and subgids for user \"podfs\"", "mismatch message");
        f = fopen(gid_path, "w");
        fputs("podfs:1048576:16777216\n", f);
        fclose(f);
        tap_is_int(pfs_userns_range_subid(uid_path, gid_path, "podfs", &r, &err), 1, "podfs's entry found");
        tap_ok(r.first == 1048576 && r.length == 16777216, "its range");
        tap_is_int(pfs_userns_range_subid(uid_path, gid_path, "kubelet", &r, &err), 0, "another user: none");
        /* the default stays clear of the users' subordinate ids */
        f = fopen(gid_path, "w");
        fputs("alice:100000:65536\nbob:165536:65536\n", f);
        fclose(f);
        r = (struct pfs_userns_range){ PFS_USERNS_DEFAULT_FIRST, PFS_USERNS_DEFAULT_LENGTH };
        pfs_userns_default_above_subids(&r, uid_path, gid_path);
        tap_ok(r.first == 65536u * 272 && r.length == 4294967296ULL - 65536u * 272,
               "the default starts above podfs's 1048576+16777216 and bob's 165536+65536: %u", r.first);
        tap_is_int(pfs_userns_range_check(&r, &err), 0, "... and is still a valid range");
        unlink(uid_path);
        r = (struct pfs_userns_range){ PFS_USERNS_DEFAULT_FIRST, PFS_USERNS_DEFAULT_LENGTH };
        pfs_userns_default_above_subids(&r, uid_path, gid_path);
        tap_ok(r.first == 65536u * 4, "above bob's range (231072): 262144, got %u", r.first);
        unlink(gid_path);
        r = (struct pfs_userns_range){ PFS_USERNS_DEFAULT_FIRST, PFS_USERNS_DEFAULT_LENGTH };
        pfs_userns_default_above_subids(&r, uid_path, gid_path);
        tap_ok(r.first == PFS_USERNS_DEFAULT_FIRST, "no subid files: the kubelet's default");
}

static void test_allocate(void)
{
        struct pfs_userns_range r = { 65536 * 16, 65536 * 3 };
        struct pfs_error err = { 0 };
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int pfd = -1;

        pod_make(U(1));
        pod_make(U(2));
        pod_make(U(3));
        pod_make(U(4));
        tap_is_int(alloc(U(1), &r, &err), 65536 * 16, "first pod: the first slot");
        tap_is_int(alloc(U(2), &r, &err), 65536 * 17, "second pod: the next slot, not shared");
        tap_is_int(alloc(U(1), &r, &err), 65536 * 16, "the same pod again: its recorded slot");
        pfd = openat(state_fd, "pods/" U(1), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        pfs_read_file_at(pfd, PFS_USERNS_FILE, &text, NULL, NULL);
        tap_is_str(text, "{\"uidMappings\":[{\"hostId\":1048576,\"containerId\":0,\"length\":65536}],"
                         "\"gidMappings\":[{\"hostId\":1048576,\"containerId\":0,\"length\":65536}]}\n",
                   "the kubelet's userns file");
        tap_is_int(alloc(U(3), &r, &err), 65536 * 18, "third pod: the last slot");
        tap_is_int(alloc(U(4), &r, &err), -ENOSPC, "fourth pod: the range is exhausted");
        tap_is_str(err.msg, "create user namespace: could not find an empty slot to allocate a user namespace",
                   "the kubelet's message");
        pod_remove(U(2));
        tap_is_int(alloc(U(4), &r, &err), 65536 * 17, "a removed pod's slot is free again");
        /* A new process (daemon restart, a new sandbox) sees the same: the state dir is the record. */
        tap_is_int(alloc(U(3), &r, &err), 65536 * 18, "reload: a running pod keeps its slot");
        pod_make(U(5));
        tap_is_int(alloc(U(5), &r, &err), -ENOSPC, "reload: no slot of a live pod is given away");
        pod_remove(U(1));
        pod_remove(U(3));
        pod_remove(U(4));
        pod_remove(U(5));
}

static void test_recorded(void)
{
        struct pfs_userns_range r = { 65536 * 16, 65536 * 4 };
        struct pfs_error err = { 0 };
        _cleanup_close_ int pfd = -1;
        static const char stolen[] = "{\"uidMappings\":[{\"hostId\":1048576,\"containerId\":0,\"length\":65536}],"
                                     "\"gidMappings\":[{\"hostId\":1048576,\"containerId\":0,\"length\":65536}]}";
        static const char odd[] = "{\"uidMappings\":[{\"hostId\":1048576,\"containerId\":0,\"length\":65536}],"
                                  "\"gidMappings\":[{\"hostId\":1114112,\"containerId\":0,\"length\":65536}]}";

        pod_make(U(6));
        pod_make(U(7));
        tap_is_int(alloc(U(6), &r, &err), 65536 * 16, "a pod takes the first slot");
        pfd = openat(state_fd, "pods/" U(7), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        pfs_write_file_atomic_at(pfd, PFS_USERNS_FILE, stolen, strlen(stolen), 0600, NULL);
        tap_is_int(alloc(U(7), &r, &err), -EEXIST, "a recorded slot another pod holds is refused");
        tap_is_str(err.msg, "user namespace: range picked for pod \"" U(7) "\" already taken", "its message");
        pfs_write_file_atomic_at(pfd, PFS_USERNS_FILE, odd, strlen(odd), 0600, NULL);
        tap_is_int(alloc(U(7), &r, &err), -EINVAL, "different uid and gid mappings are refused");
        tap_is_str(err.msg, "user namespace: invalid user namespace configuration: GID and UID mapping should be "
                            "identical", "its message");
        r.first = 65536 * 32;
        tap_is_int(alloc(U(6), &r, &err), -EINVAL, "a recorded slot outside the range is refused");
        tap_is_str(err.msg, "user namespace: id 1048576 is out of range", "its message");
        pod_remove(U(6));
        pod_remove(U(7));
}

/* Sandboxes allocate at the same time: the lock gives each its own slot. */
static void test_concurrent(void)
{
        static const char *const uids[] = { U(a), U(b), U(c), U(d), U(e), U(f), U(8), U(9) };
        struct pfs_userns_range r = { 65536 * 16, 65536 * 110 };
        struct pfs_error err = { 0 };
        long long seen[ARRAY_SIZE(uids)];
        bool distinct = true;
        pid_t pids[ARRAY_SIZE(uids)];

        for (size_t i = 0; i < ARRAY_SIZE(uids); i++)
                pod_make(uids[i]);
        for (size_t i = 0; i < ARRAY_SIZE(uids); i++) {
                pids[i] = fork();
                if (pids[i] == 0)
                        _exit(alloc(uids[i], &r, &err) < 0 ? 1 : 0);
        }
        for (size_t i = 0; i < ARRAY_SIZE(uids); i++) {
                int st = 1;

                waitpid(pids[i], &st, 0);
                distinct = distinct && WIFEXITED(st) && WEXITSTATUS(st) == 0;
        }
        for (size_t i = 0; i < ARRAY_SIZE(uids); i++) {
                seen[i] = alloc(uids[i], &r, &err);
                for (size_t j = 0; j < i; j++)
                        distinct = distinct && seen[j] != seen[i];
                distinct = distinct && seen[i] >= 65536 * 16 && seen[i] < 65536 * (16 + 8);
        }
        tap_ok(distinct, "%zu concurrent allocations: %zu distinct slots, the lowest ones", ARRAY_SIZE(uids),
               ARRAY_SIZE(uids));
        for (size_t i = 0; i < ARRAY_SIZE(uids); i++)
                pod_remove(uids[i]);
}

/* A range that ends at 2^32: its last slot would map (uid_t)-1 and is never given. */
static void test_top_of_range(void)
{
        struct pfs_userns_range r = { (uint32_t)(4294967296ULL - 65536ULL * 110), 65536 * 110 };
        struct pfs_error err = { 0 };
        long long last = 0, got = 0;
        char uid[40];
        int n = 0;

        for (int i = 0; i < 110; i++) {
                snprintf(uid, sizeof(uid), "00000000-0000-4000-8000-%012d", i);
                pod_make(uid);
                got = alloc(uid, &r, &err);
                if (got >= 0) {
                        n++;
                        last = got;
                }
        }
        tap_is_int(n, 109, "a range ending at 2^32: 109 of its 110 slots are given");
        tap_is_int(got, -ENOSPC, "... and the last is not");
        tap_ok(last + 65535 < 4294967295LL, "no pod maps (uid_t)-1");
        for (int i = 0; i < 110; i++) {
                snprintf(uid, sizeof(uid), "00000000-0000-4000-8000-%012d", i);
                pod_remove(uid);
        }
}

int main(void)
{
        struct pfs_state_dirs d = PFS_STATE_DIRS_INIT;
        struct pfs_error err = { 0 };

        if (!mkdtemp(state_dir) || pfs_state_dirs_open(state_dir, &d, &err) < 0) {
                printf("Bail out! state dir: %s\n", err.msg);
                return 1;
        }
        state_fd = d.state_fd;
        test_range_config();
        test_allocate();
        test_recorded();
        test_concurrent();
        test_top_of_range();
        pfs_state_dirs_close(&d);
        pfs_rm_rf_at(AT_FDCWD, state_dir, NULL);
        return tap_done();
}
