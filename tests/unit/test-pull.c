/* Unit tests of the image manager's words (runtime/pull.c) that need no
 * registry: the ImagePullBackOff message with and without the last pull's
 * error. No root needed. */
#include <stdlib.h>
#include "sandbox.h"
#include "tap.h"

static void test_backoff_message(void)
{
        char *m = pull_backoff_message("reg.local/app:1", "manifest unknown");

        tap_is_str(m, "Back-off pulling image \"reg.local/app:1\": ErrImagePull: manifest unknown",
                   "waiting message: the last pull's reason and error after the back-off's words");
        free(m);
        m = pull_backoff_message("reg.local/app:1", NULL);
        tap_is_str(m, "Back-off pulling image \"reg.local/app:1\"", "the event's words (no error kept: the same)");
        free(m);
        m = pull_backoff_message("later", "");
        tap_is_str(m, "Back-off pulling image \"later\"", "an empty error is none");
        free(m);
}

int main(void)
{
        test_backoff_message();
        return tap_done();
}
