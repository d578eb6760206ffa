/* A container's stdin and terminal, in the child (container.c) and at the
 * hand-over of the terminal's master to the sandbox. As runc does with a
 * console socket: the child, already in its new root, opens /dev/ptmx of the
 * container's own devpts instance, so the slave is /dev/pts/N there; it sends
 * the master to the sandbox (SCM_RIGHTS), makes the slave its controlling
 * terminal (it is a session leader) and its stdin, stdout and stderr, owned
 * by the container's user (runc's fixStdioPermissions). The window size is
 * the kernel's 0x0, as runc leaves it when no console size is given (the
 * kubelet gives none before an attach resizes it). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "ctr_stdio.h"
#include "pfs/util.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

static int send_fd(int sock, int fd)
{
        char c = 'm';
        struct iovec iov = { .iov_base = &c, .iov_len = 1 };
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                              .msg_controllen = sizeof(u.buf) };
        struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

        memset(u.buf, 0, sizeof(u.buf));
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &fd, sizeof(int));
        return sendmsg(sock, &msg, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

int ctr_stdio_recv_master(int sock)
{
        char c;
        struct iovec iov = { .iov_base = &c, .iov_len = 1 };
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                              .msg_controllen = sizeof(u.buf) };
        struct cmsghdr *cm;
        int fd;

        if (recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) != 1)
                return -1;
        cm = CMSG_FIRSTHDR(&msg);
        if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
            cm->cmsg_len != CMSG_LEN(sizeof(int)))
                return -1;
        memcpy(&fd, CMSG_DATA(cm), sizeof(int));
        return fd;
}

static int tty_setup(int sock, uid_t uid, bool chown_to_user, struct pfs_error *err)
{
        _cleanup_close_ int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        int unlock = 0, slave;

        if (master < 0)
                return pfs_error_set(err, errno, "open /dev/ptmx");
        if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
                return pfs_error_set(err, errno, "unlockpt");
        slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
        if (slave < 0)
                return pfs_error_set(err, errno, "open the terminal's slave");
        if (send_fd(sock, master) < 0) {
                close(slave);
                return pfs_error_set(err, errno, "send the terminal to the sandbox");
        }
        close(sock);
        if (chown_to_user && fchown(slave, uid, (gid_t)-1) < 0) {
                close(slave);
                return pfs_error_set(err, errno, "chown the terminal");
        }
        if (ioctl(slave, TIOCSCTTY, 0) < 0 || dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0) {
                close(slave);
                return pfs_error_set(err, errno, "make the terminal the container's stdio");
        }
        if (slave > 2)
                close(slave);
        return 0;
}

/* stdin without a terminal: the container's own /dev/null, opened inside the
 * new root (not a host node), or the read end of its stdin pipe. */
int ctr_stdio_child(const struct ctr_stdio_child *st, struct pfs_error *err)
{
        _cleanup_close_ int null = -1;

        if (st->tty)
                return tty_setup(st->tty_sock, st->uid, st->chown_to_user, err);
        if (st->stdin_fd >= 0) {
                if (dup2(st->stdin_fd, 0) < 0)
                        return pfs_error_set(err, errno, "dup2 stdin");
                close(st->stdin_fd);
                return 0;
        }
        null = open("/dev/null", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (null < 0 || fcntl(null, F_SETFL, 0) < 0)
                return pfs_error_set(err, errno, "open /dev/null");
        if (dup2(null, 0) < 0)
                return pfs_error_set(err, errno, "dup2 stdin");
        return 0;
}
