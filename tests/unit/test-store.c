/* Unit tests for the state directory files: meta, events, sandbox file and
 * liveness, log directory names. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "pfs/store.h"
#include "pfs/util.h"
#include "tap.h"

static int write_text(int dirfd, const char *name, const char *text)
{
        return pfs_write_file_atomic_at(dirfd, name, text, strlen(text), 0644, NULL);
}

static void test_meta(int dfd)
{
        struct pod_meta m = {.namespace = (char *)"default", .name = (char *)"web",
                             .creation_ns = 1795362048LL * 1000000000LL};
        struct pod_meta *got = NULL;
        struct pfs_error err = {0};
        _cleanup_free_ char *text = NULL;

        strcpy(m.uid, "6f1c0000-0000-4000-8000-000000000001");
        tap_is_int(pod_meta_write_at(dfd, &m, &err), 0, "meta: write");
        pfs_read_file_at(dfd, "meta", &text, NULL, NULL);
        tap_is_str(text, "uid=6f1c0000-0000-4000-8000-000000000001\nnamespace=default\nname=web\n"
                         "creationTimestamp=2026-11-22T15:40:48Z\nowner=0\ngroup=0\ngeneration=1\n", "meta: file format");
        tap_is_int(pod_meta_read_at(dfd, &got, &err), 0, "meta: read");
        tap_is_str(got->uid, m.uid, "meta: uid");
        tap_is_str(got->namespace, "default", "meta: namespace");
        tap_is_str(got->name, "web", "meta: name");
        tap_is_int(got->creation_ns, m.creation_ns, "meta: creation");
        tap_is_int(got->deletion_ns, 0, "meta: no deletion");
        tap_ok(got->predecessor == NULL, "meta: no predecessor");
        pod_meta_free(got);

        m.deletion_ns = m.creation_ns + 12000000000LL;
        m.deletion_grace_seconds = 30;
        m.predecessor = (char *)"6f1c0000-0000-4000-8000-000000000000";
        tap_is_int(pod_meta_write_at(dfd, &m, &err), 0, "meta: write with deletion");
        tap_is_int(pod_meta_read_at(dfd, &got, &err), 0, "meta: read with deletion");
        tap_is_int(got->deletion_ns, m.deletion_ns, "meta: deletionTimestamp");
        tap_is_int(got->deletion_grace_seconds, 30, "meta: grace");
        tap_is_str(got->predecessor, m.predecessor, "meta: predecessor");
        pod_meta_free(got);

        m.owner = 65534;
        m.group = 4242;
        tap_is_int(pod_meta_write_at(dfd, &m, &err), 0, "meta: write with owner");
        tap_is_int(pod_meta_read_at(dfd, &got, &err), 0, "meta: read with owner");
        tap_is_int(got->owner, 65534, "meta: owner");
        tap_is_int(got->group, 4242, "meta: group");
        pod_meta_free(got);
        write_text(dfd, "meta", "uid=x\nnamespace=default\nname=web\ncreationTimestamp=2026-11-22T15:40:48Z\n");
        tap_is_int(pod_meta_read_at(dfd, &got, &err), 0, "meta: without owner (older versions)");
        tap_is_int(got->owner, 0, "meta: ... is root's");
        tap_is_int(got->group, 0, "meta: ... group root");
        tap_is_int(got->generation, 1, "meta: ... generation 1");
        tap_ok(!got->spec_sum[0] && !got->spec_hash[0], "meta: ... no spec digests");
        pod_meta_free(got);
        m.generation = 7;
        memset(m.spec_sum, 'a', 64);
        memset(m.spec_hash, 'b', 64);
        tap_is_int(pod_meta_write_at(dfd, &m, &err), 0, "meta: write with generation");
        tap_is_int(pod_meta_read_at(dfd, &got, &err), 0, "meta: read with generation");
        tap_is_int(got->generation, 7, "meta: generation");
        tap_is_str(got->spec_sum, m.spec_sum, "meta: specSum");
        tap_is_str(got->spec_hash, m.spec_hash, "meta: specHash");
        pod_meta_free(got);
        m.generation = 0;
        m.spec_sum[0] = m.spec_hash[0] = '\0';
        write_text(dfd, "meta", "uid=x\nnamespace=a\nname=b\ngeneration=0\n");
        tap_is_int(pod_meta_read_at(dfd, &got, &err), -EINVAL, "meta: generation 0 rejected");
        write_text(dfd, "meta", "uid=x\nnamespace=a\nname=b\nspecSum=abc\n");
        tap_is_int(pod_meta_read_at(dfd, &got, &err), -EINVAL, "meta: short specSum rejected");
        write_text(dfd, "meta", "uid=x\nnamespace=a\nname=b\nowner=-1\n");
        tap_is_int(pod_meta_read_at(dfd, &got, &err), -EINVAL, "meta: bad owner rejected");
        write_text(dfd, "meta", "uid=x\nnamespace=a\nname=b\ngroup=alice\n");
        tap_is_int(pod_meta_read_at(dfd, &got, &err), -EINVAL, "meta: bad group rejected");

        write_text(dfd, "meta", "uid=x\nnamespace=default\nname=web\nfuture=1\ncreationTimestamp=2026-11-22T15:40:48Z\n");
        tap_is_int(pod_meta_read_at(dfd, &got, &err), 0, "meta: unknown keys ignored");
        pod_meta_free(got);
        write_text(dfd, "meta", "uid=x\nnamespace=default\n");
        tap_is_int(pod_meta_read_at(dfd, &got, &err), -EINVAL, "meta: missing name rejected");
        write_text(dfd, "meta", "uid=x\nnamespace=a\nname=b\ncreationTimestamp=yesterday\n");
        tap_is_int(pod_meta_read_at(dfd, &got, &err), -EINVAL, "meta: bad time rejected");
        m.name = (char *)"a\nb";
        tap_is_int(pod_meta_write_at(dfd, &m, &err), -EINVAL, "meta: newline in name rejected");
}

static void test_events(int dfd)
{
        struct pod_event *ev = NULL;
        struct pfs_error err = {0};
        size_t n = 99;
        int64_t before = pfs_now_realtime_ns();
        int fd;

        tap_is_int(pod_events_read_at(dfd, &ev, &n, &err), -ENOENT, "events: ENOENT when none");
        tap_is_int(pod_event_append_at(dfd, "Normal", "Scheduled", "pod/web", "podfs",
                                       "Successfully assigned default/web to node", &err), 0,
                   "events: append");
        pod_event_append_at(dfd, "Warning", "BackOff", "spec.containers{app}", "kubelet",
                            "Back-off\trestarting\nfailed \x1b[2Jcontainer\a", &err);
        fd = openat(dfd, "events", O_WRONLY | O_APPEND | O_CLOEXEC);
        tap_ok(write(fd, "garbage line\n2026-11-22T15:40:48Z\ttorn", 38) == 38, "events: add junk");
        close(fd);
        tap_is_int(pod_events_read_at(dfd, &ev, &n, &err), 0, "events: read");
        tap_is_int((long long)n, 2, "events: malformed lines skipped");
        tap_is_str(ev[0].reason, "Scheduled", "events: reason");
        tap_is_str(ev[0].object, "pod/web", "events: object");
        tap_is_str(ev[0].source, "podfs", "events: source");
        tap_ok(ev[0].time_ns >= before - 1000 && ev[0].time_ns <= pfs_now_realtime_ns(),
               "events: time with nanoseconds");
        tap_is_str(ev[1].type, "Warning", "events: type");
        tap_is_str(ev[1].message, "Back-off restarting failed \\x1b[2Jcontainer\\x07",
                   "events: tab/newline became spaces, other control characters escaped");
        pod_events_free(ev, n);
}

/* Both sides append at once: every record must stay whole. */
static void test_events_concurrent(int dfd)
{
        struct pod_event *ev = NULL;
        size_t n = 0, whole = 0;
        int status, ok = 0;

        unlinkat(dfd, "events", 0);
        for (int p = 0; p < 4; p++) {
                pid_t pid = fork();

                if (pid == 0) {
                        for (int i = 0; i < 100; i++)
                                pod_event_append_at(dfd, "Normal", "Pulled", "spec.containers{app}", "kubelet",
                                                    "Container image \"busybox\" already present on machine", NULL);
                        _exit(0);
                }
        }
        while (wait(&status) > 0)
                ok += WIFEXITED(status) && WEXITSTATUS(status) == 0;
        tap_is_int(ok, 4, "events: 4 writers done");
        pod_events_read_at(dfd, &ev, &n, NULL);
        for (size_t i = 0; i < n; i++)
                whole += !strcmp(ev[i].message, "Container image \"busybox\" already present on machine");
        tap_is_int((long long)whole, 400, "events: 400 whole records from 4 concurrent writers");
        pod_events_free(ev, n);
}

/* The file stays bounded: concurrent writers keep their records whole across
 * compactions, the newest records survive, long messages are cut at 1 kB. */
static void test_events_bounded(int dfd)
{
        char big[4000];
        struct pod_event *ev = NULL;
        struct stat st;
        size_t n = 0, bad = 0;
        int status, ok = 0;

        unlinkat(dfd, "events", 0);
        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        for (int p = 0; p < 3; p++) {
                pid_t pid = fork();

                if (pid == 0) {
                        for (int i = 0; i < 400; i++)
                                pod_event_append_at(dfd, "Warning", "Unhealthy", "spec.containers{app}", "kubelet",
                                                    big, NULL);
                        _exit(0);
                }
        }
        while (wait(&status) > 0)
                ok += WIFEXITED(status) && WEXITSTATUS(status) == 0;
        tap_is_int(ok, 3, "bounded: 3 writers done");
        pod_event_append_at(dfd, "Normal", "Killing", "spec.containers{app}", "kubelet", "the newest", NULL);
        tap_ok(fstatat(dfd, "events", &st, 0) == 0 && st.st_size <= POD_EVENTS_MAX_BYTES,
               "bounded: events file at most %d bytes (%lld)", POD_EVENTS_MAX_BYTES, (long long)st.st_size);
        pod_events_read_at(dfd, &ev, &n, NULL);
        for (size_t i = 0; i + 1 < n; i++)
                bad += strlen(ev[i].message) != POD_EVENT_MAX_MESSAGE;
        tap_ok(n > 100 && bad == 0, "bounded: %zu whole records, messages cut at 1 kB", n);
        tap_is_str(n ? ev[n - 1].message : "", "the newest", "bounded: the newest record kept");
        pod_events_free(ev, n);
}

static void test_sandbox(int dfd)
{
        struct pod_sandbox_file f = {.pid = 4242, .starttime = 777};
        struct pod_sandbox_ctr c[2] = {{(char *)"app", 4250}, {(char *)"side", 4260}};
        struct pod_sandbox_file *got = NULL;
        pid_t pid = -1;
        int fd;

        tap_is_int(pod_sandbox_alive_at(dfd, &pid), 0, "alive: no lock file");
        tap_is_int(pid, 0, "alive: pid 0");
        f.ctrs = c;
        f.n_ctrs = 2;
        tap_is_int(pod_sandbox_file_write_at(dfd, &f, NULL), 0, "sandbox: write");
        tap_is_int(pod_sandbox_file_read_at(dfd, &got, NULL), 0, "sandbox: read");
        tap_is_int(got->pid, 4242, "sandbox: pid");
        tap_is_int((long long)got->starttime, 777, "sandbox: starttime");
        tap_is_int(pod_sandbox_ctr_pid(got, "side"), 4260, "sandbox: ctr pid");
        tap_is_int(pod_sandbox_ctr_pid(got, "nope"), 0, "sandbox: missing ctr");
        tap_ok(!got->wake_sighup, "sandbox: an older sandbox's file: not woken by SIGHUP");
        pod_sandbox_file_free(got);
        f.wake_sighup = true;
        tap_is_int(pod_sandbox_file_write_at(dfd, &f, NULL), 0, "sandbox: write with wake=sighup");
        tap_is_int(pod_sandbox_file_read_at(dfd, &got, NULL), 0, "sandbox: read it");
        tap_ok(got->wake_sighup, "sandbox: woken by SIGHUP");
        tap_is_int(pod_sandbox_ctr_pid(got, "app"), 4250, "sandbox: ctr pid beside wake");
        pod_sandbox_file_free(got);
        f.wake_sighup = false;

        fd = openat(dfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        tap_is_int(pod_sandbox_alive_at(dfd, &pid), 0, "alive: lock not held");
        /* a separate open file description stands in for the sandbox */
        tap_ok(fcntl(fd, F_OFD_SETLK, &(struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET }) == 0,
               "take the lock");
        tap_is_int(pod_sandbox_alive_at(dfd, &pid), 1, "alive: lock held");
        tap_is_int(pid, 4242, "alive: pid from the sandbox file");
        close(fd);
        tap_is_int(pod_sandbox_alive_at(dfd, &pid), 0, "alive: lock released");
}

int main(void)
{
        char tmpl[] = "/tmp/podfs-test-store-XXXXXX";
        char *dir = mkdtemp(tmpl);
        int dfd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        _cleanup_free_ char *logdir = pod_log_dir_name("default", "web", "u-1");

        tap_ok(dfd >= 0, "temp dir");
        if (dfd < 0)
                return tap_done();
        test_meta(dfd);
        test_events(dfd);
        test_events_concurrent(dfd);
        test_events_bounded(dfd);
        test_sandbox(dfd);
        tap_is_str(logdir, "default_web_u-1", "log dir name");
        pfs_rm_rf_at(AT_FDCWD, dir, NULL);
        close(dfd);
        return tap_done();
}
