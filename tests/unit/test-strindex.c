/* Unit tests of the string index: put/get, duplicates refused, growth. */
#include <stdio.h>
#include <string.h>
#include "pfs/strindex.h"
#include "pfs/util.h"
#include "tap.h"

int main(void)
{
        struct pfs_strindex x = { 0 };
        char names[5000][8];
        size_t v = 0;
        bool all = true;

        tap_ok(!pfs_strindex_get(&x, "a", &v), "an empty (zeroed) index finds nothing");
        pfs_strindex_init(&x, 4);
        for (int i = 0; i < 5000; i++) {
                snprintf(names[i], sizeof(names[i]), "n%d", i);
                all = all && pfs_strindex_put(&x, names[i], (size_t)i);
        }
        tap_ok(all && x.n == 5000, "5000 distinct names are added (the table grows)");
        tap_ok(!pfs_strindex_put(&x, "n42", 7) && pfs_strindex_get(&x, "n42", &v) && v == 42,
               "a name already there is refused, its first value kept");
        all = true;
        for (int i = 0; i < 5000; i++)
                all = all && pfs_strindex_get(&x, names[i], &v) && v == (size_t)i;
        tap_ok(all, "every name is found with its value");
        tap_ok(!pfs_strindex_get(&x, "n5000", NULL) && !pfs_strindex_get(&x, "", NULL), "others are not");
        tap_ok(pfs_strindex_put(&x, "", 1) && pfs_strindex_get(&x, "", &v) && v == 1, "the empty string is a key");
        pfs_strindex_free(&x);
        tap_ok(x.cap == 0 && !pfs_strindex_get(&x, "n1", NULL), "a freed index is empty");
        return tap_done();
}
