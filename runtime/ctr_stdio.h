/* A container's stdin and terminal in the child (ctr_stdio.c). */
#pragma once
#include <stdbool.h>
#include <sys/types.h>
#include "pfs/error.h"

struct ctr_stdio_child {
        bool tty;
        int tty_sock;           /* with tty: the child's end of the socketpair the master goes through */
        int stdin_fd;           /* without tty: the stdin pipe's read end, -1 = /dev/null */
        uid_t uid;              /* with chown_to_user: the terminal's owner (the container's user) */
        bool chown_to_user;
};

/* In the child, after its root is set up and setsid(): fd 0 (and with a
 * terminal 1 and 2) set up. */
int ctr_stdio_child(const struct ctr_stdio_child *st, struct pfs_error *err);
/* In the sandbox once exec succeeded: the master the child sent, or -1. */
int ctr_stdio_recv_master(int sock);
