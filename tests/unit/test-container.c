/* Root-only test of the container mechanics: pod namespaces, images, volumes,
 * ctr_spawn on a busybox root filesystem built from the host's busybox-static.
 * Skips (TAP "1..0 # SKIP", which meson reports as SKIP; exit 77 would be an
 * error under meson's TAP protocol) when not root or when busybox is missing. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "handler.h"
#include "pfs/util.h"
#include "runtime.h"
#include "pfs/envres.h"
#include "tap.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static char tmpdir[] = "/tmp/podfs-test-container-XXXXXX";
static char *rootfs, *volumes, *state;
static struct pod_ns the_ns;
static char host_net[64], host_uts[64];        /* the test's namespaces before pod_ns_setup */
static int host_net_fd = -1, host_uts_fd = -1;
static char host_name[256];

/* Everything the hand-built specs allocate lives until the end (freed by tfree_all). */
static void **allocs;
static size_t n_allocs;

static void *track(void *p)
{
        allocs = xrealloc(allocs, (n_allocs + 1) * sizeof(*allocs));
        allocs[n_allocs++] = p;
        return p;
}

static char *tstrdup(const char *s)
{
        return track(xstrdup(s));
}

static void *tcalloc(size_t n, size_t m)
{
        return track(xcalloc(n, m));
}

static char *xasprintf_tracked(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf_tracked(const char *fmt, ...)
{
        va_list ap;
        char *p;

        va_start(ap, fmt);
        if (vasprintf(&p, fmt, ap) < 0)
                abort();
        va_end(ap);
        return track(p);
}

static void tfree_all(void)
{
        for (size_t i = 0; i < n_allocs; i++)
                free(allocs[i]);
        free(allocs);
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
        _cleanup_free_ char *cmd = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&cmd, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -1;
        return system(cmd);
}

static const char *busybox_path(void)
{
        static const char *cands[] = { "/bin/busybox", "/usr/bin/busybox" };

        for (size_t i = 0; i < ARRAY_SIZE(cands); i++)
                if (access(cands[i], X_OK) == 0)
                        return cands[i];
        return NULL;
}

/* ROOTFS/bin/busybox with an applet symlink per applet, an /etc, and a symlink
 * "evil" pointing at the host's /etc (it must resolve inside the rootfs). */
static int rootfs_build(const char *bb)
{
        _cleanup_free_ char *cmd = xasprintf("%s --list", bb);
        char line[256];
        FILE *f;

        if (sh("mkdir -p %s/bin %s/etc %s/tmp && cp %s %s/bin/busybox", rootfs, rootfs, rootfs, bb, rootfs))
                return -1;
        f = popen(cmd, "r");
        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f)) {
                _cleanup_free_ char *link = NULL;

                line[strcspn(line, "\n")] = '\0';
                if (!*line || strchr(line, '/') || !strcmp(line, "busybox"))
                        continue;
                link = xasprintf("%s/bin/%s", rootfs, line);
                symlink("busybox", link);
        }
        pclose(f);
        return sh("ln -s /etc %s/evil", rootfs);
}

static struct pod_container *ctr_new(const char *name, const char *cmd)
{
        struct pod_container *c = tcalloc(1, sizeof(*c));

        c->name = tstrdup(name);
        c->image = tstrdup("busybox");
        c->command = tcalloc(3, sizeof(char *));
        c->command[0] = tstrdup("sh");
        c->command[1] = tstrdup("-c");
        c->n_command = 2;
        c->args = tcalloc(1, sizeof(char *));
        c->args[0] = tstrdup(cmd);
        c->n_args = 1;
        c->termination_message_path = tstrdup("/dev/termination-log");
        c->mounts = tcalloc(4, sizeof(*c->mounts));
        return c;
}

static void ctr_mount(struct pod_container *c, const char *vol, const char *path, const char *sub, bool ro)
{
        c->mounts[c->n_mounts++] = (struct pod_volume_mount){
                .name = tstrdup(vol), .mount_path = tstrdup(path),
                .sub_path = sub ? tstrdup(sub) : NULL, .read_only = ro,
        };
}

static struct pod_spec pod = {
        .name = "web-pod",
        .namespace = "default",
        .hostname = NULL,
};

/* Run C in the pod; returns its exit status (or -errno from ctr_spawn), output in out. */
static int run(struct pod_container *c, char *out, size_t outsz, struct pfs_error *err)
{
        int p[2];
        pid_t pid;
        int pidfd, r;
        size_t n = 0;
        ssize_t k;
        siginfo_t si = { 0 };
        struct pod_env_list env = { 0 };
        struct ctr_launch l = {
                .pod = &pod, .ctr = c, .ns = &the_ns, .rootfs = rootfs,
                .volumes_dir = volumes, .cgroup_fd = -1,
        };

        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        l.stdout_fd = l.stderr_fd = p[1];
        pfs_error_clear(err);
        /* plain values only: no lookup is ever called */
        r = pod_env_resolve(&pod, c, &(struct pod_env_lookup){ 0 }, &env, err);
        l.env = &env;
        if (r == 0)
                r = ctr_spawn(&l, &pid, &pidfd, err);
        pod_env_list_free(&env);
        close(p[1]);
        while (r == 0 && n + 1 < outsz && (k = read(p[0], out + n, outsz - 1 - n)) > 0)
                n += (size_t)k;
        out[n] = '\0';
        close(p[0]);
        if (r < 0)
                return r;
        waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED);
        close(pidfd);
        return si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
}

static int pidfd_open_or(pid_t pid)
{
        return (int)syscall(SYS_pidfd_open, pid, 0);
}

static void ns_link(pid_t pid, const char *ns, char buf[static 64])
{
        char path[64];
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns);
        n = readlink(path, buf, 63);
        buf[n > 0 ? n : 0] = '\0';
}

static void test_image(void)
{
        struct pfs_error err = { 0 };
        char *root = NULL, *id = NULL;
        _cleanup_free_ char *link = xasprintf("%s/images/busybox:1.36", state);

        sh("mkdir -p %s/images", state);
        symlink(rootfs, link);
        tap_ok(image_resolve(state, "busybox:1.36", &root, &id, &err) == 0 && strcmp(root, rootfs) == 0,
               "image_resolve follows a symlink in the image store");
        free(root);
        free(id);
        tap_ok(image_resolve(state, "busybox", &root, &id, &err) == -ENOENT && strstr(err.msg, "not found"),
               "image_resolve: a missing image is -ENOENT (%s)", err.msg);
        tap_ok(image_resolve(state, rootfs, &root, &id, &err) == 0, "image_resolve takes an absolute path");
        free(root);
        free(id);
        tap_ok(image_resolve(state, "../../etc", &root, &id, &err) == -EINVAL, "image_resolve refuses '..'");
}

static void test_basic(void)
{
        struct pfs_error err = { 0 };
        char out[4096], a[64], b[64];
        struct pod_container *c = ctr_new("app", "echo hi");
        int r;

        r = run(c, out, sizeof(out), &err);
        tap_ok(r == 0 && !strcmp(out, "hi\n"), "echo hi reaches the log pipe (r=%d, %s)", r, err.msg);

        c->args[0] = tstrdup("echo $$$$; hostname; cat /etc/hostname; for n in mnt pid net uts; do "
                             "readlink /proc/self/ns/$n; done; cat /sys/class/net/lo/flags");
        r = run(c, out, sizeof(out), &err);
        tap_ok(r == 0, "namespace probe runs (%s)", err.msg);
        tap_ok(!strncmp(out, "1\n", 2), "the container is pid 1 of its pid namespace");
        tap_ok(strstr(out, "\nweb-pod\nweb-pod\n") != NULL, "hostname and /etc/hostname are the pod's");
        ns_link(getpid(), "mnt", a);
        tap_ok(strstr(out, a) == NULL, "own mount namespace");
        ns_link(getpid(), "pid", b);
        tap_ok(strstr(out, b) == NULL, "own pid namespace");
        ns_link(getpid(), "net", a);
        tap_ok(strstr(out, a) != NULL, "the pod's network namespace");
        ns_link(getpid(), "uts", a);
        tap_ok(strstr(out, a) != NULL, "the pod's uts namespace");
        tap_ok(strstr(out, "0x9\n") || strstr(out, "0x49\n"), "lo is up in the pod network namespace");
        if (strncmp(out, "1\n", 2) != 0)
                printf("# output: %s\n", out);
}

static void test_env_caps_workdir(void)
{
        struct pfs_error err = { 0 };
        char out[4096];
        struct pod_container *c = ctr_new("env", "echo \"$GREETING\" \"$HOSTNAME\" \"$PATH\"; pwd; "
                                                 "grep CapBnd /proc/self/status; ls -l /dev/null; echo -n msg > /dev/termination-log; "
                                                 "echo 1 > /proc/sys/kernel/ns_last_pid || echo sys-ro; "
                                                 "wc -c < /proc/timer_list; ls /sys/firmware | wc -l");
        _cleanup_free_ char *term = NULL, *msg = NULL;
        size_t len;
        int r;

        c->env = tcalloc(2, sizeof(*c->env));
        c->env[0] = (struct pod_env){ .name = "WHO", .value = "world" };
        c->env[1] = (struct pod_env){ .name = "GREETING", .value = "hello $(WHO) $(NOPE) $$(WHO)" };
        c->n_env = 2;
        c->working_dir = tstrdup("/work/dir");
        r = run(c, out, sizeof(out), &err);
        tap_ok(r == 0, "env probe runs (%s)", err.msg);
        tap_ok(strstr(out, "hello world $(NOPE) $(WHO) web-pod /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n") != NULL,
               "environment: $(VAR) expansion, HOSTNAME, default PATH");
        tap_ok(strstr(out, "\n/work/dir\n") != NULL, "a missing workingDir is created");
        tap_ok(strstr(out, "CapBnd:\t00000000a80425fb") != NULL, "the default capability bounding set");
        tap_ok(strstr(out, "crw-rw-rw-") != NULL, "/dev/null is a character device");
        tap_ok(strstr(out, "\nsys-ro\n0\n0\n") != NULL, "/proc/sys is read-only, /proc/timer_list and /sys/firmware are masked");
        term = ctr_termination_log_path(volumes, "env");
        tap_ok(pfs_read_file_at(AT_FDCWD, term, &msg, &len, NULL) == 0 && !strcmp(msg, "msg"),
               "terminationMessagePath reaches the host file");
        if (r != 0 || !strstr(out, "\nsys-ro\n0\n0\n"))
                printf("# output: %s\n", out);
}

/* The container writes to a fresh layer: the image directory stays as it was. */
static void test_writable_layer(void)
{
        struct pfs_error err = { 0 };
        char out[256];
        struct pod_container *c = ctr_new("layer", "cat /tmp/mark 2>/dev/null; echo run > /tmp/mark; echo ok");
        _cleanup_free_ char *img = xasprintf("%s/tmp/mark", rootfs);
        int r;

        r = run(c, out, sizeof(out), &err);
        tap_ok(r == 0 && !strcmp(out, "ok\n"), "a container writes to its root (%s)", err.msg);
        tap_ok(access(img, F_OK) < 0, "the image directory is not written to");
        r = run(c, out, sizeof(out), &err);
        tap_ok(r == 0 && !strcmp(out, "ok\n"), "a restarted container starts from a fresh layer");
}

static void test_exec_errors(void)
{
        struct pfs_error err = { 0 };
        char out[256];
        struct pod_container *c = ctr_new("bad", "true");
        int r;

        c->command[0] = tstrdup("no-such-binary");
        c->n_command = 1;
        c->n_args = 0;
        r = run(c, out, sizeof(out), &err);
        tap_ok(r == -ENOENT, "a missing executable is -ENOENT");
        tap_is_str(err.msg, "exec: \"no-such-binary\": executable file not found in $PATH", "its message");
        c->command[0] = tstrdup("/bin/nope");
        r = run(c, out, sizeof(out), &err);
        tap_is_str(err.msg, "exec: \"/bin/nope\": stat /bin/nope: no such file or directory", "a missing absolute path");
        c->command[0] = tstrdup("/bin");
        r = run(c, out, sizeof(out), &err);
        tap_is_str(err.msg, "exec: \"/bin\": is a directory", "a directory (Go's LookPath)");
        sh("echo plain > %s/etc/plain && chmod 644 %s/etc/plain", rootfs, rootfs);
        c->command[0] = tstrdup("/etc/plain");
        r = run(c, out, sizeof(out), &err);
        tap_ok(r == -EACCES, "a file without x bits is -EACCES");
        tap_is_str(err.msg, "exec: \"/etc/plain\": permission denied", "its message");
        c->n_command = 0;
        r = run(c, out, sizeof(out), &err);
        tap_ok(r == -EINVAL && !strcmp(err.msg, "no command specified"), "no command specified");
}

static void test_volumes(void)
{
        struct pfs_error err = { 0 };
        char out[4096];
        struct pod_container *w = ctr_new("writer", "echo shared > /data/f"), *rd = ctr_new("reader", "cat /data/f");
        struct pod_container *ro = ctr_new("ro", "echo x > /ro/f");
        struct pod_container *esc = ctr_new("esc", "touch /evil/podfs-escape-probe/x");
        struct pod_container *sub = ctr_new("sub", "echo s > /s/f");
        struct pod_container *nest = ctr_new("nest", "cat /data/inner/f");
        _cleanup_free_ char *host = xasprintf("%s/host", tmpdir), *probe = NULL;
        int r;

        ctr_mount(w, "scratch", "/data", NULL, false);
        ctr_mount(rd, "scratch", "/data", NULL, true);
        ctr_mount(ro, "hp", "/ro", NULL, true);
        ctr_mount(esc, "scratch", "/evil/podfs-escape-probe", NULL, false);
        ctr_mount(sub, "hp", "/s", "a/b", false);
        ctr_mount(nest, "hp", "/data/inner", "a/b", true);   /* listed before its parent */
        ctr_mount(nest, "scratch", "/data", NULL, false);
        r = run(w, out, sizeof(out), &err);
        tap_ok(r == 0, "emptyDir writer (%d %s %s)", r, err.msg, out);
        r = run(rd, out, sizeof(out), &err);
        tap_ok(r == 0 && !strcmp(out, "shared\n"), "emptyDir is shared between containers");
        r = run(ro, out, sizeof(out), &err);
        tap_ok(r != 0 && strstr(out, "Read-only file system"), "a readOnly mount refuses writes");
        probe = xasprintf("%s/f", host);
        tap_ok(access(probe, F_OK) < 0, "nothing was written through the readOnly mount");
        r = run(esc, out, sizeof(out), &err);
        tap_ok(r == 0, "mount below a symlink to /etc runs (%s)", err.msg);
        tap_ok(access("/etc/podfs-escape-probe", F_OK) < 0, "the symlink did not lead the mount to the host's /etc");
        free(probe);
        probe = xasprintf("%s/%s/esc/upper/etc/podfs-escape-probe", volumes, POD_OVERLAY_DIR);
        tap_ok(access(probe, F_OK) == 0, "the mount point landed inside the container's root");
        r = run(sub, out, sizeof(out), &err);
        free(probe);
        probe = xasprintf("%s/a/b/f", host);
        tap_ok(r == 0 && access(probe, F_OK) == 0, "subPath is created inside the volume");
        r = run(nest, out, sizeof(out), &err);
        tap_ok(r == 0 && !strcmp(out, "s\n"), "a nested mountPath listed first is mounted after its parent");
        sh("ln -s / %s/up", host);
        sub->mounts[0].sub_path = tstrdup("up");
        r = run(sub, out, sizeof(out), &err);
        tap_ok(r < 0 && strstr(err.msg, "leaves the volume"), "a subPath symlink escaping the volume is refused (%s)",
               err.msg);
}

static void test_host_path_types(void)
{
        struct pfs_error err = { 0 };
        struct pod_volume v = { .name = "x", .kind = POD_VOLUME_HOST_PATH };
        struct pod_spec p = { .name = "t", .volumes = &v, .n_volumes = 1 };
        _cleanup_free_ char *vd = xasprintf("%s/vt", tmpdir);
        _cleanup_free_ char *dir = xasprintf("%s/created/dir", tmpdir), *file = xasprintf("%s/created-file", tmpdir);
        struct stat st;

        v.host_path = dir;
        v.host_path_type = "DirectoryOrCreate";
        tap_ok(pod_volumes_prepare(&p, vd, &err) == 0 && stat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
               (st.st_mode & 07777) == 0755, "DirectoryOrCreate creates 0755");
        v.host_path = file;
        v.host_path_type = "FileOrCreate";
        tap_ok(pod_volumes_prepare(&p, vd, &err) == 0 && stat(file, &st) == 0 && S_ISREG(st.st_mode) &&
               (st.st_mode & 07777) == 0644, "FileOrCreate creates 0644");
        v.host_path_type = "Directory";
        pod_volumes_prepare(&p, vd, &err);
        tap_ok(strstr(err.msg, "hostPath type check failed: ") && strstr(err.msg, "is not a directory"),
               "Directory on a file: %s", err.msg);
        v.host_path = "/dev/null";
        v.host_path_type = "CharDevice";
        tap_ok(pod_volumes_prepare(&p, vd, &err) == 0, "CharDevice /dev/null");
        v.host_path_type = "Socket";
        tap_ok(pod_volumes_prepare(&p, vd, &err) < 0 && strstr(err.msg, "is not a socket file"), "Socket check");
        pod_volumes_release(&p, vd);
}

static void test_quantities(void)
{
        static const struct { const char *s; long long want; } cases[] = {
                { "64Mi", 67108864 }, { "1G", 1000000000 }, { "1.5Gi", 1610612736 }, { "500k", 500000 },
                { "1e3", 1000 }, { "42", 42 }, { "0x10", -EINVAL }, { "abc", -EINVAL }, { "nan", -EINVAL },
                { "-1Mi", -EINVAL }, { "1Qi", -EINVAL },
        };
        bool ok = true;

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                uint64_t v = 0;
                int r = pod_quantity_bytes(cases[i].s, &v);
                long long got = r < 0 ? r : (long long)v;

                if (got != cases[i].want) {
                        printf("# %s: got %lld, want %lld\n", cases[i].s, got, cases[i].want);
                        ok = false;
                }
        }
        tap_ok(ok, "quantities (sizeLimit) in bytes");
}

static void test_memory_empty_dir(void)
{
        struct pfs_error err = { 0 };
        struct pod_volume v = { .name = "mem", .kind = POD_VOLUME_EMPTY_DIR, .medium = "Memory", .size_limit = "1Mi" };
        struct pod_spec p = { .name = "t", .volumes = &v, .n_volumes = 1 };
        _cleanup_free_ char *vd = xasprintf("%s/vm", tmpdir), *mem = xasprintf("%s/vm/mem", tmpdir);
        struct statfs sf;

        tap_ok(pod_volumes_prepare(&p, vd, &err) == 0, "Memory emptyDir (%s)", err.msg);
        tap_ok(statfs(mem, &sf) == 0 && sf.f_type == TMPFS_MAGIC && (uint64_t)sf.f_blocks * sf.f_bsize == 1048576,
               "Memory emptyDir is a tmpfs of sizeLimit");
        pod_volumes_unmount(vd);
        tap_ok(statfs(mem, &sf) == 0 && sf.f_type != TMPFS_MAGIC, "pod_volumes_unmount unmounts it without the spec");
        pod_volumes_release(&p, vd);
        tap_ok(access(mem, F_OK) < 0, "pod_volumes_release removes the emptyDir");
}

/* How long a container takes from ctr_spawn to exec (median of 21). */
static int cmp_i64(const void *a, const void *b)
{
        int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

        return x < y ? -1 : x > y;
}

static void test_spawn_time(void)
{
        struct pfs_error err = { 0 };
        struct pod_container *c = ctr_new("fast", "true");
        int64_t t[21];
        char out[64];
        int bad = 0;

        c->command[0] = tstrdup("/bin/true");
        c->n_command = 1;
        c->n_args = 0;
        for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
                int64_t t0 = pfs_now_monotonic_ns();

                bad |= run(c, out, sizeof(out), &err) != 0;
                t[i] = pfs_now_monotonic_ns() - t0;
        }
        qsort(t, ARRAY_SIZE(t), sizeof(t[0]), cmp_i64);
        tap_ok(!bad, "21 containers run to completion; median spawn-to-exit %.2f ms", (double)t[10] / 1e6);
}

/* An OCI image layout with a gzip layer (the busybox root) and a plain tar layer
 * with whiteouts and a path through an absolute symlink; digests computed here. */
static const char oci_script[] =
        "set -e\n"
        "L=$1; ROOT=$2; W=$3\n"
        "mkdir -p $L/blobs/sha256 $W/l1 $W/l2/etc $W/l2/opq $W/l2/escape\n"
        "cp -a $ROOT/. $W/l1/\n"
        "rm -f $W/l1/evil; echo old > $W/l1/etc/old; mkdir -p $W/l1/opq; echo k > $W/l1/opq/keep1\n"
        "ln -s / $W/l1/escape\n"
        "touch $W/l2/etc/.wh.old $W/l2/opq/.wh..wh..opq; echo n > $W/l2/opq/new; echo x > $W/l2/escape/podfs-oci-escape\n"
        "tar -C $W/l1 -czf $W/layer1 .\n"
        "tar -C $W/l2 -cf $W/layer2 etc/.wh.old opq/.wh..wh..opq opq/new escape/podfs-oci-escape\n"
        "blob() { d=$(sha256sum $1 | cut -d' ' -f1); cp $1 $L/blobs/sha256/$d; echo \"\\\"digest\\\":\\\"sha256:$d\\\",\\\"size\\\":$(stat -c %s $1)\"; }\n"
        "printf '%s' '{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Entrypoint\":[\"/bin/sh\",\"-c\"],"
        "\"Cmd\":[\"echo from-image $FOO; pwd; id -u\"],\"Env\":[\"FOO=bar\",\"PATH=/bin\"],\"WorkingDir\":\"/opq\","
        "\"User\":\"1234:1234\"},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}' > $W/config\n"
        "C=$(blob $W/config); B1=$(blob $W/layer1); B2=$(blob $W/layer2)\n"
        "printf '%s' \"{\\\"schemaVersion\\\":2,\\\"mediaType\\\":\\\"application/vnd.oci.image.manifest.v1+json\\\","
        "\\\"config\\\":{\\\"mediaType\\\":\\\"application/vnd.oci.image.config.v1+json\\\",$C},"
        "\\\"layers\\\":[{\\\"mediaType\\\":\\\"application/vnd.oci.image.layer.v1.tar+gzip\\\",$B1},"
        "{\\\"mediaType\\\":\\\"application/vnd.oci.image.layer.v1.tar\\\",$B2}]}\" > $W/manifest\n"
        "M=$(blob $W/manifest)\n"
        "printf '%s' \"{\\\"schemaVersion\\\":2,\\\"manifests\\\":[{\\\"mediaType\\\":\\\"application/vnd.oci.image.manifest.v1+json\\\","
        "$M,\\\"annotations\\\":{\\\"org.opencontainers.image.ref.name\\\":\\\"1.0\\\"}}]}\" > $L/index.json\n"
        "echo '{\"imageLayoutVersion\":\"1.0.0\"}' > $L/oci-layout\n"
        "echo $B2 | sed 's/.*sha256:\\([0-9a-f]*\\).*/\\1/' > $W/layer2-digest\n";

/* An unpacked layout is found in the cache without podfs-image; one that is
 * not needs it. */
static void test_oci_cached(const char *layout, const char *state2)
{
        _cleanup_free_ char *saved = getenv("PODFS_IMAGE") ? xstrdup(getenv("PODFS_IMAGE")) : NULL;
        _cleanup_free_ char *root = NULL, *id = NULL;
        struct pfs_error err = { 0 };
        int r;

        setenv("PODFS_IMAGE", "/nonexistent/podfs-image", 1);
        r = image_resolve(state, "ocitest:1.0", &root, &id, &err);
        tap_ok(r == 0 && strstr(id, "ocitest@sha256:") == id, "a cached layout needs no podfs-image (%s)", err.msg);
        /* the manifest's digest is still checked (here, without libcrypto) */
        sh("cd %s/blobs/sha256 && m=$(sed 's/.*\"digest\":\"sha256:\\([0-9a-f]*\\)\".*/\\1/' ../../index.json) && "
           "cp $m ../../manifest.saved && echo >> $m", layout);
        r = image_resolve(state, "ocitest:1.0", &root, &id, &err);
        tap_ok(r == -EINVAL && strstr(err.msg, "digest mismatch"), "... whose manifest is still verified (%s)", err.msg);
        sh("cd %s/blobs/sha256 && m=$(sed 's/.*\"digest\":\"sha256:\\([0-9a-f]*\\)\".*/\\1/' ../../index.json) && "
           "mv ../../manifest.saved $m", layout);
        sh("mkdir -p %s/images && rm -rf %s/cache %s/images/ocitest && cp -a %s %s/images/ocitest", state2, state2,
           state2, layout, state2);
        r = image_resolve(state2, "ocitest:1.0", &root, &id, &err);
        tap_ok(r == -ENOENT && strstr(err.msg, "unpack OCI image \"ocitest\": run '/nonexistent/podfs-image'"),
               "one that is not cached runs podfs-image (%s)", err.msg);
        if (saved)
                setenv("PODFS_IMAGE", saved, 1);
        else
                unsetenv("PODFS_IMAGE");
}

static void test_oci_image(void)
{
        struct pfs_error err = { 0 };
        _cleanup_free_ char *script = xasprintf("%s/mkoci.sh", tmpdir), *layout = xasprintf("%s/images/ocitest", state);
        _cleanup_free_ char *work = xasprintf("%s/ociwork", tmpdir), *state2 = xasprintf("%s/state2", tmpdir);
        _cleanup_free_ char *root = NULL, *id = NULL, *p = NULL, *l2 = NULL;
        struct pod_container *c = ctr_new("oci", "unused");
        const char *saved = rootfs;
        char out[512];
        int r;

        pfs_write_file_atomic_at(AT_FDCWD, script, oci_script, strlen(oci_script), 0755, NULL);
        r = sh("sh %s %s '%s' %s >/dev/null", script, layout, rootfs, work);
        tap_ok(r == 0, "an OCI image layout built with tar and sha256sum");
        r = image_resolve(state, "ocitest:1.0", &root, &id, &err);
        tap_ok(r == 0 && strstr(id, "ocitest@sha256:") == id, "image_resolve unpacks an OCI layout (%s)", err.msg);
        if (r < 0)
                return;
        p = xasprintf("%s/bin/busybox", root);
        tap_ok(access(p, X_OK) == 0, "the gzip layer is unpacked");
        free(p);
        p = xasprintf("%s/etc/old", root);
        tap_ok(access(p, F_OK) < 0, "a .wh. whiteout removes a file of the layer below");
        free(p);
        p = xasprintf("%s/opq/keep1", root);
        tap_ok(access(p, F_OK) < 0, "an opaque whiteout hides the directory's lower content");
        free(p);
        p = xasprintf("%s/opq/new", root);
        tap_ok(access(p, F_OK) == 0, "... and keeps the layer's own files");
        free(p);
        p = xasprintf("%s/podfs-oci-escape", root);
        tap_ok(access("/podfs-oci-escape", F_OK) < 0 && access(p, F_OK) == 0,
               "a layer path through a symlink to / stays inside the root");
        c->n_command = 0;
        c->n_args = 0;
        rootfs = root;
        r = run(c, out, sizeof(out), &err);
        rootfs = (char *)saved;
        tap_is_str(out, "from-image bar\n/opq\n1234\n", "Entrypoint, Cmd, Env, WorkingDir and User of the image config");
        free(root);
        free(id);
        root = id = NULL;
        r = image_resolve(state, "ocitest:2.0", &root, &id, &err);
        tap_ok(r == -ENOENT && strstr(err.msg, "tag \"2.0\" not found"), "an unknown tag (%s)", err.msg);
        /* A corrupted layer in a fresh store (the cache is keyed by manifest digest). */
        sh("mkdir -p %s/images && cp -a %s %s/images/ocitest", state2, layout, state2);
        pfs_read_file_at(AT_FDCWD, xasprintf_tracked("%s/layer2-digest", work), &l2, NULL, NULL);
        l2[strcspn(l2, "\n")] = '\0';
        sh("echo garbage >> %s/images/ocitest/blobs/sha256/%s", state2, l2);
        r = image_resolve(state2, "ocitest:1.0", &root, &id, &err);
        tap_ok(r == -EINVAL && strstr(err.msg, "digest mismatch"), "a corrupted layer is refused (%s)", err.msg);
        test_oci_cached(layout, state2);
}

/* A runtime bundle (as `umoci unpack` writes it): rootfs/ and config.json's process. */
static void test_bundle_image(void)
{
        struct pfs_error err = { 0 };
        _cleanup_free_ char *b = xasprintf("%s/images/bundle", state), *root = NULL, *id = NULL;
        static const char cfg[] = "{\"ociVersion\": \"1.0.2\", \"process\": {\"args\": [\"/bin/sh\", \"-c\", "
                                  "\"echo bundle $X; pwd\"], \"env\": [\"X=y\", \"PATH=/bin\"], \"cwd\": \"/tmp\", "
                                  "\"user\": {\"uid\": 0, \"gid\": 0}}}";
        struct pod_container *c = ctr_new("bundle", "unused");
        char *saved = rootfs, out[256];
        int r;

        sh("mkdir -p %s && cp -a '%s' %s/rootfs && rm -f %s/rootfs/evil", b, rootfs, b, b);
        pfs_write_file_atomic_at(AT_FDCWD, xasprintf_tracked("%s/config.json", b), cfg, strlen(cfg), 0644, NULL);
        r = image_resolve(state, "bundle", &root, &id, &err);
        tap_ok(r == 0 && strstr(root, "/bundle/rootfs"), "a runtime bundle resolves to its rootfs (%s)", err.msg);
        if (r < 0)
                return;
        c->n_command = c->n_args = 0;
        rootfs = root;
        r = run(c, out, sizeof(out), &err);
        rootfs = saved;
        tap_is_str(out, "bundle y\n/tmp\n", "the bundle's process args, env and cwd");
}

/* A container in the pod cgroup with two background children: kill_all empties it. */
static void test_cgroup(enum pod_cgroup_driver driver)
{
        struct pfs_error err = { 0 };
        struct pod_cgroup *cg = NULL;
        struct pod_container *c = ctr_new("cg", "sleep 100 & sleep 100 & echo started; wait");
        struct ctr_launch l = {
                .pod = &pod, .ctr = c, .ns = &the_ns, .rootfs = rootfs,
                .volumes_dir = volumes, .cgroup_fd = -1,
        };
        char uid[37], buf[256] = "", want[128];
        _cleanup_free_ char *cgfile = NULL, *cgtext = NULL, *path = NULL;
        int p[2], pidfd = -1, r;
        pid_t pid = 0;
        ssize_t n;
        siginfo_t si = { 0 };
        int64_t t0;

        pfs_uuid_new(uid);
        r = pod_cgroup_open_driver(uid, driver, &cg, &err);
        tap_ok(r == 0, "pod_cgroup_open (driver %d: %s)", driver, err.msg);
        if (r < 0)
                return;
        path = xstrdup(pod_cgroup_path(cg));
        l.cgroup_fd = pod_cgroup_child_fd(cg, "cg", &err);
        tap_ok(l.cgroup_fd >= 0, "%s: child cgroup fd (%s)", pod_cgroup_driver_name(cg), err.msg);
        if (pipe2(p, O_CLOEXEC) < 0)
                return;
        l.stdout_fd = l.stderr_fd = p[1];
        r = ctr_spawn(&l, &pid, &pidfd, &err);
        close(p[1]);
        close(l.cgroup_fd);
        n = r == 0 ? read(p[0], buf, sizeof(buf) - 1) : 0;
        buf[n > 0 ? n : 0] = '\0';
        tap_ok(r == 0 && !strcmp(buf, "started\n"), "%s: container started in the cgroup (%s)",
               pod_cgroup_driver_name(cg), err.msg);
        cgfile = xasprintf("/proc/%d/cgroup", (int)pid);
        snprintf(want, sizeof(want), "/podfs/%s/cg\n", uid);
        tap_ok(r == 0 && pfs_read_file_at(AT_FDCWD, cgfile, &cgtext, NULL, NULL) == 0 && strstr(cgtext, want),
               "%s: the container is in podfs/<uid>/cg", pod_cgroup_driver_name(cg));
        t0 = pfs_now_monotonic_ns();
        if (driver == POD_CGROUP_AUTO)
                tap_ok(pod_cgroup_kill_child(cg, "cg", &err) == 0, "kill_child (%s)", err.msg);
        r = pod_cgroup_kill_all(cg, &err);
        tap_ok(r == 0, "%s: kill_all (%s) in %.1f ms", pod_cgroup_driver_name(cg), err.msg,
               (double)(pfs_now_monotonic_ns() - t0) / 1e6);
        if (pidfd >= 0) {
                waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED);
                close(pidfd);
        }
        tap_ok(si.si_code == CLD_KILLED && si.si_status == SIGKILL, "%s: the container was SIGKILLed",
               pod_cgroup_driver_name(cg));
        n = read(p[0], buf, sizeof(buf));
        tap_ok(n == 0, "%s: its children are gone too (the log pipe is closed)", pod_cgroup_driver_name(cg));
        close(p[0]);
        /* The pod's containers run again in the same cgroup after a kill. */
        l.cgroup_fd = pod_cgroup_child_fd(cg, "cg", &err);
        c->args[0] = tstrdup("echo again");
        if (pipe2(p, O_CLOEXEC) == 0) {
                l.stdout_fd = l.stderr_fd = p[1];
                r = ctr_spawn(&l, &pid, &pidfd, &err);
                close(p[1]);
                close(l.cgroup_fd);
                n = r == 0 ? read(p[0], buf, sizeof(buf) - 1) : 0;
                buf[n > 0 ? n : 0] = '\0';
                close(p[0]);
                memset(&si, 0, sizeof(si));
                if (r == 0) {
                        waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED);
                        close(pidfd);
                }
                tap_ok(r == 0 && !strcmp(buf, "again\n") && si.si_code == CLD_EXITED && si.si_status == 0,
                       "%s: a container runs in its cgroup after kill_all", pod_cgroup_driver_name(cg));
        }
        pod_cgroup_remove(cg);
        tap_ok(access(path, F_OK) < 0, "%s: pod_cgroup_remove removed the cgroup", pod_cgroup_driver_name(cg));
        pod_cgroup_free(cg);
}

/* limits.memory: the kernel OOM-kills the container and the cgroup says so. */
static void test_limits(enum pod_cgroup_driver driver)
{
        struct pfs_error err = { 0 };
        struct pod_cgroup *cg = NULL;
        struct pod_cgroup_limits lim = { .memory_max = 32 << 20, .pids_max = 64, .cpu_quota_us = 50000 };
        struct pod_container *c = ctr_new("oom", "cat /proc/self/cgroup; exec dd if=/dev/zero of=/dev/null bs=200M count=1");
        struct ctr_launch l = {
                .pod = &pod, .ctr = c, .ns = &the_ns, .rootfs = rootfs,
                .volumes_dir = volumes, .cgroup_fd = -1,
        };
        char uid[37], out[2048] = "";
        int p[2], pidfd = -1, r;
        pid_t pid;
        ssize_t n;
        size_t got = 0;
        siginfo_t si = { 0 };

        pfs_uuid_new(uid);
        if (pod_cgroup_open_driver(uid, driver, &cg, &err) < 0 || pipe2(p, O_CLOEXEC) < 0)
                return;
        l.cgroup_fd = pod_cgroup_child_fd(cg, "oom", &err);
        r = pod_cgroup_child_limits(cg, "oom", &lim, &err);
        tap_ok(r == 0, "%s: memory, cpu and pids limits (%s)", pod_cgroup_driver_name(cg), err.msg);
        l.stdout_fd = l.stderr_fd = p[1];
        r = ctr_spawn(&l, &pid, &pidfd, &err);
        close(p[1]);
        if (l.cgroup_fd >= 0)
                close(l.cgroup_fd);
        while (r == 0 && got + 1 < sizeof(out) && (n = read(p[0], out + got, sizeof(out) - 1 - got)) > 0)
                got += (size_t)n;
        out[got] = '\0';
        close(p[0]);
        if (r == 0) {
                waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED);
                close(pidfd);
        }
        tap_ok(strstr(out, ":memory:/podfs/") && strstr(out, "/oom\n"), "%s: the container is in the memory cgroup",
               pod_cgroup_driver_name(cg));
        tap_ok(si.si_code == CLD_KILLED && si.si_status == SIGKILL, "%s: over its memory limit it is SIGKILLed",
               pod_cgroup_driver_name(cg));
        tap_ok(pod_cgroup_child_oom_kills(cg, "oom") > 0, "%s: ... and the cgroup counted an OOM kill",
               pod_cgroup_driver_name(cg));
        pod_cgroup_kill_all(cg, &err);
        pod_cgroup_remove(cg);
        pod_cgroup_free(cg);
}

/* Read from FD until WANT was seen or end of file. */
static void read_until(int fd, char *out, size_t size, const char *want)
{
        size_t got = strlen(out);
        ssize_t n;

        while (got + 1 < size && !strstr(out, want) && (n = read(fd, out + got, size - 1 - got)) > 0) {
                got += (size_t)n;
                out[got] = '\0';
        }
}

static bool is_v1(const char *ctrl)
{
        _cleanup_free_ char *path = xasprintf("/sys/fs/cgroup/%s", ctrl);
        struct statfs st;

        return statfs(path, &st) == 0 && st.f_type == CGROUP_SUPER_MAGIC;
}

/* An exec whose command cannot start: its output stays empty, the error
 * pipe says why in runc's words. */
static void test_enter_missing(pid_t pid, int pidfd, int cgroup_fd, const char *name)
{
        char *const argv[] = { "/no/such", NULL };
        struct pfs_error err = { 0 }, rep = { 0 };
        int q[2], e[2], epidfd = -1, r;
        char out[256] = "";
        pid_t epid = 0;
        siginfo_t si;

        if (pipe2(q, O_CLOEXEC) < 0 || pipe2(e, O_CLOEXEC) < 0)
                return;
        r = ctr_enter_spawn(pid, pidfd, argv, cgroup_fd, q[1], e[1], &epid, &epidfd, &err);
        close(q[1]);
        close(e[1]);
        if (r == 0) {
                waitid((idtype_t)P_PIDFD, (id_t)epidfd, &si, WEXITED);
                close(epidfd);
                tap_ok(read(e[0], &rep, sizeof(rep)) == (ssize_t)sizeof(rep), "%s: a missing command reports", name);
                tap_is_str(rep.msg, "exec: \"/no/such\": stat /no/such: no such file or directory", "... in runc's words");
                tap_is_int((int)read(q[0], out, sizeof(out)), 0, "... and writes nothing to the command's output");
        } else {
                tap_ok(false, "%s: ctr_enter_spawn: %s", name, err.msg);
        }
        close(q[0]);
        close(e[0]);
}

/* The device policy and the pod's pids limit hold for a container and for an
 * exec child entered into it (exec probes, hooks). */
static void test_devices(enum pod_cgroup_driver driver)
{
        static const char *const shell = "mknod /dev/l0 b 7 0 && echo mknod-ok; "
                                         "head -c 1 /dev/l0 >/dev/null 2>&1 && echo read-ok || echo read-refused; "
                                         "echo x >/dev/null && echo null-ok; cat /proc/self/cgroup; echo end; "
                                         "exec sleep 100";
        char *const argv[] = { "sh", "-c", "head -c 1 /dev/l0 >/dev/null 2>&1 && echo exec-read-ok || "
                               "echo exec-read-refused; cat /proc/self/cgroup", NULL };
        struct pfs_error err = { 0 };
        struct pod_cgroup *cg = NULL;
        struct pod_container *c = ctr_new("dev", shell);
        struct ctr_launch l = {
                .pod = &pod, .ctr = c, .ns = &the_ns, .rootfs = rootfs,
                .volumes_dir = volumes, .cgroup_fd = -1,
        };
        char uid[37], out[4096] = "", eout[4096] = "", dev_line[128], pids_line[128], buf[32] = "";
        _cleanup_free_ char *pids_max = NULL, *twin = NULL;
        int p[2], q[2], e[2], pidfd = -1, epidfd = -1, r;
        pid_t pid = 0, epid = 0;
        siginfo_t si;
        const char *name;

        pfs_uuid_new(uid);
        if (pod_cgroup_open_driver(uid, driver, &cg, &err) < 0) {
                tap_ok(false, "pod_cgroup_open (driver %d: %s)", driver, err.msg);
                return;
        }
        name = pod_cgroup_driver_name(cg);
        tap_ok(pod_cgroup_pids_limit(cg, 16, &err) == 0, "%s: the pod's pids limit (%s)", name, err.msg);
        pids_max = is_v1("pids") ? xasprintf("/sys/fs/cgroup/pids/podfs/%s/pids.max", uid)
                                 : xasprintf("%s/pids.max", pod_cgroup_path(cg));
        {
                _cleanup_close_ int fd = open(pids_max, O_RDONLY | O_CLOEXEC);

                if (fd >= 0 && read(fd, buf, sizeof(buf) - 1) < 0)
                        buf[0] = '\0';
        }
        tap_is_str(buf, "16\n", "... in pids.max of the pod's cgroup");
        l.cgroup_fd = pod_cgroup_child_fd(cg, "dev", &err);
        r = pod_cgroup_child_devices(cg, "dev", &err);
        tap_ok(r == 0, "%s: device policy (%s)", name, err.msg);
        r = pod_cgroup_child_pids(cg, "dev", &err);
        tap_ok(r == 0, "%s: the container below the pids limit (%s)", name, err.msg);
        if (pipe2(p, O_CLOEXEC) < 0 || pipe2(q, O_CLOEXEC) < 0 || pipe2(e, O_CLOEXEC) < 0)
                return;
        l.stdout_fd = l.stderr_fd = p[1];
        r = ctr_spawn(&l, &pid, &pidfd, &err);
        close(p[1]);
        if (r == 0)
                read_until(p[0], out, sizeof(out), "end\n");
        snprintf(dev_line, sizeof(dev_line), ":devices:/podfs/%s/dev\n", uid);
        snprintf(pids_line, sizeof(pids_line), ":pids:/podfs/%s/dev\n", uid);
        tap_ok(strstr(out, "mknod-ok\n") && strstr(out, "read-refused\n") && strstr(out, "null-ok\n"),
               "%s: mknod of the host's loop0 works, opening it does not, /dev/null does (%s)", name, out);
        tap_ok(!is_v1("devices") || strstr(out, dev_line), "%s: the container is in its devices cgroup", name);
        tap_ok(!is_v1("pids") || strstr(out, pids_line), "%s: the container is in its pids cgroup", name);
        if (r == 0)
                r = ctr_enter_spawn(pid, pidfd, argv, l.cgroup_fd, q[1], e[1], &epid, &epidfd, &err);
        close(q[1]);
        close(e[1]);
        if (r == 0) {
                read_until(q[0], eout, sizeof(eout), "\n\n");      /* to the end */
                waitid((idtype_t)P_PIDFD, (id_t)epidfd, &si, WEXITED);
                close(epidfd);
                tap_ok(read(e[0], &err, sizeof(err)) == 0, "%s: a command that ran reports no start error", name);
        }
        close(e[0]);
        if (pidfd >= 0)
                test_enter_missing(pid, pidfd, l.cgroup_fd, name);
        tap_ok(r == 0 && strstr(eout, "exec-read-refused\n"), "%s: an exec child cannot open it either (%s)", name,
               eout);
        tap_ok(!is_v1("devices") || strstr(eout, dev_line), "%s: the exec child joined the devices cgroup", name);
        tap_ok(!is_v1("pids") || strstr(eout, pids_line), "%s: the exec child joined the pids cgroup", name);
        close(p[0]);
        close(q[0]);
        if (l.cgroup_fd >= 0)
                close(l.cgroup_fd);
        pod_cgroup_kill_all(cg, &err);
        if (pidfd >= 0) {
                waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED);
                close(pidfd);
        }
        twin = xasprintf("/sys/fs/cgroup/devices/podfs/%s", uid);
        pod_cgroup_remove(cg);
        tap_ok(access(twin, F_OK) < 0, "%s: the devices cgroups are removed with the pod's", name);
        pod_cgroup_free(cg);
}

/* shareProcessNamespace: a pause process is pid 1 and the containers see it. */
static void test_share_pid(void)
{
        int p[2];
        pid_t child;
        char out[256] = "";
        ssize_t n;
        int status;

        if (pipe(p) < 0)
                return;
        child = fork();
        if (child == 0) {
                struct pfs_error err = { 0 };
                struct pod_spec sp = pod;
                struct pod_container *c = ctr_new("a", "echo $$$$; cat /proc/1/comm");
                char buf[256];

                close(p[0]);
                sp.share_process_namespace = true;
                if (pod_ns_setup(&sp, &the_ns, &err) < 0 || pod_ns_pid_setup(&the_ns, &err) < 0 || the_ns.pause_pid <= 0)
                        _exit(1);
                pod = sp;
                run(c, buf, sizeof(buf), &err);
                if (write(p[1], buf, strlen(buf)) < 0)
                        _exit(1);
                _exit(0);
        }
        close(p[1]);
        n = read(p[0], out, sizeof(out) - 1);
        out[n > 0 ? n : 0] = '\0';
        close(p[0]);
        waitpid(child, &status, 0);
        tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "pod_ns_setup with shareProcessNamespace");
        tap_ok(strncmp(out, "1\n", 2) != 0 && strstr(out, "\npause\n"), "containers share the pid namespace of pause (%s)", out);
}

/* hostNetwork: the node's network and uts namespaces, as in Kubernetes. */
static void test_host_network(void)
{
        int p[2], status;
        pid_t child;
        char out[1024] = "", want[600];
        ssize_t n;

        if (pipe(p) < 0)
                return;
        child = fork();
        if (child == 0) {
                struct pfs_error err = { 0 };
                struct pod_spec sp = pod;
                struct pod_container *c = ctr_new("hn", "readlink /proc/self/ns/net; readlink /proc/self/ns/uts; "
                                                        "hostname; cat /etc/hostname");
                char buf[512];

                close(p[0]);
                if (setns(host_net_fd, CLONE_NEWNET) < 0 || setns(host_uts_fd, CLONE_NEWUTS) < 0)
                        _exit(1);
                sp.host_network = true;
                if (pod_ns_setup(&sp, &the_ns, &err) < 0 || pod_ns_pid_setup(&the_ns, &err) < 0 || pod_volumes_prepare(&sp, volumes, &err) < 0)
                        _exit(1);
                pod = sp;
                run(c, buf, sizeof(buf), &err);
                if (write(p[1], buf, strlen(buf)) < 0)
                        _exit(1);
                _exit(0);
        }
        close(p[1]);
        n = read(p[0], out, sizeof(out) - 1);
        out[n > 0 ? n : 0] = '\0';
        close(p[0]);
        waitpid(child, &status, 0);
        tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0 && strstr(out, host_net) && strstr(out, host_uts),
               "hostNetwork: the node's network and uts namespaces");
        snprintf(want, sizeof(want), "\n%s\n%s\n", host_name, host_name);
        tap_ok(strstr(out, want) != NULL, "hostNetwork: the node's hostname in hostname and /etc/hostname");
}

/* No orphans: when the sandbox dies, its containers and the pause process die too. */
static void test_sandbox_death(void)
{
        int p[2], status, fds[2];
        pid_t sandbox, pids[2] = { 0, 0 };
        ssize_t n;
        bool all_gone = true;

        if (pipe(p) < 0)
                return;
        sandbox = fork();
        if (sandbox == 0) {
                struct pfs_error err = { 0 };
                struct pod_spec sp = pod;
                struct pod_container *c = ctr_new("long", "exec sleep 1000");
                struct ctr_launch l = {
                        .pod = &sp, .ctr = c, .ns = &the_ns, .rootfs = rootfs,
                        .volumes_dir = volumes, .cgroup_fd = -1, .stdout_fd = 2, .stderr_fd = 2,
                };
                pid_t out[2];
                int pidfd;

                close(p[0]);
                sp.share_process_namespace = true;
                if (pod_ns_setup(&sp, &the_ns, &err) < 0 || pod_ns_pid_setup(&the_ns, &err) < 0 || ctr_spawn(&l, &out[0], &pidfd, &err) < 0)
                        _exit(1);
                out[1] = the_ns.pause_pid;
                if (write(p[1], out, sizeof(out)) < 0)
                        _exit(1);
                for (;;)
                        pause();
        }
        close(p[1]);
        n = read(p[0], pids, sizeof(pids));
        close(p[0]);
        tap_ok(n == sizeof(pids), "a sandbox with a running container and a pause process");
        if (n != sizeof(pids)) {
                kill(sandbox, SIGKILL);
                waitpid(sandbox, &status, 0);
                return;
        }
        fds[0] = pidfd_open_or(pids[0]);
        fds[1] = pidfd_open_or(pids[1]);
        kill(sandbox, SIGKILL);
        waitpid(sandbox, &status, 0);
        /* PDEATHSIG fires only after the dead sandbox's address space is torn
         * down, which takes long under a sanitizer: a generous deadline. */
        for (int i = 0; i < 2; i++) {
                struct pollfd pfd = { .fd = fds[i], .events = POLLIN };

                all_gone &= fds[i] >= 0 && poll(&pfd, 1, 10000) == 1;
                if (fds[i] >= 0)
                        close(fds[i]);
        }
        tap_ok(all_gone, "killing the sandbox kills its container and its pause process");
}

int main(void)
{
        struct pfs_error err = { 0 };
        struct pod_volume vols[2] = {
                { .name = "scratch", .kind = POD_VOLUME_EMPTY_DIR, .medium = "" },
                { .name = "hp", .kind = POD_VOLUME_HOST_PATH, .host_path_type = "DirectoryOrCreate" },
        };
        const char *bb = busybox_path();
        int r;

        if (geteuid() != 0) {
                printf("1..0 # SKIP needs root (namespaces, mounts)\n");
                return 0;
        }
        if (!bb) {
                printf("1..0 # SKIP needs busybox-static (/bin/busybox)\n");
                return 0;
        }
        /* Mounts the test makes on the host side (tmpfs volumes) vanish with it. */
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 || !mkdtemp(tmpdir))
                return 1;
        rootfs = xasprintf("%s/root:fs,1", tmpdir);     /* overlayfs option escaping */
        volumes = xasprintf("%s/volumes", tmpdir);
        state = xasprintf("%s/state", tmpdir);
        vols[1].host_path = xasprintf("%s/host", tmpdir);
        pod.volumes = vols;
        pod.n_volumes = 2;
        tap_ok(rootfs_build(bb) == 0, "busybox root filesystem");
        test_image();
        ns_link(getpid(), "net", host_net);
        ns_link(getpid(), "uts", host_uts);
        gethostname(host_name, sizeof(host_name) - 1);
        host_net_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        host_uts_fd = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
        test_host_path_types();
        test_quantities();
        test_memory_empty_dir();
        r = pod_ns_setup(&pod, &the_ns, &err);
        tap_ok(r == 0 && the_ns.own_net && the_ns.pause_pid == 0, "pod_ns_setup (%s)", err.msg);
        r = pod_volumes_prepare(&pod, volumes, &err);
        tap_ok(r == 0, "pod_volumes_prepare (%s)", err.msg);
        test_basic();
        test_env_caps_workdir();
        test_writable_layer();
        test_spawn_time();
        test_exec_errors();
        test_volumes();
        test_oci_image();
        test_bundle_image();
        test_cgroup(POD_CGROUP_AUTO);
        test_cgroup(POD_CGROUP_V1);
        test_limits(POD_CGROUP_AUTO);
        test_limits(POD_CGROUP_V1);
        test_devices(POD_CGROUP_AUTO);
        test_devices(POD_CGROUP_V1);
        test_share_pid();
        test_sandbox_death();
        test_host_network();
        pod_volumes_release(&pod, volumes);
        sh("rm -rf %s", tmpdir);
        tfree_all();
        close(host_net_fd);
        close(host_uts_fd);
        free(rootfs);
        free(volumes);
        free(state);
        free(vols[1].host_path);
        return tap_done();
}
