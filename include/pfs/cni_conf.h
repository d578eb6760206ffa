/* The pod network's CNI configuration (common/cni_conf.c): used by the
 * sandbox (ADD, DEL) and by the daemon (the default network, written at start). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "pfs/error.h"

/* The network's config : the first *.conf, *.conflist, *.json of
 * DIR in name order, as a conflist (a single .conf is wrapped as libcni does). */
struct yval;
/* What root runs on a config's word must be root's: PATH (symlinks
 * followed) and the directory it is in are owned by root and writable by
 * no other user (nor group, unless root's). -EPERM and why ("WHAT \"PATH\"
 * ...") otherwise. */
int cni_path_trusted(const char *path, const char *what, struct pfs_error *err);
/* cni_conf_find: the found config is cni_path_trusted. */
int cni_conf_find(const char *dir, char **ret_path, struct pfs_error *err);
int cni_conf_load(const char *path, struct yval **ret_list, struct pfs_error *err);
/* The config plugin I of LIST gets: name and cniVersion of the list,
 * prevResult when PREV, runtimeConfig of the capabilities it asks for. */
char *cni_plugin_conf(const struct yval *list, size_t i, const struct yval *prev, const struct yval *rtconf,
                      size_t *ret_len);
/* libcni's pluginDescription of plugin I of LIST, for its errors:
 * 'type="T"', then ' name="N"' when the plugin's own config has a name (a
 * single plugin's .conf keeps it there; a conflist's plugins rarely do). */
char *cni_plugin_describe(const struct yval *list, size_t i);
/* The subnets the network's config (the first of DIR) lists under its
 * top-level "podfsMasquerade" key, NULL-terminated in *ret (free each and
 * the array). Returns how many. */
int cni_conf_masquerade(const char *dir, char ***ret, struct pfs_error *err);
/* The network's config (the first of DIR) has a plugin of TYPE. */
bool cni_conf_has_plugin(const char *dir, const char *type);
/* podfs's default network (podfs.conflist), written into DIR when it holds
 * no network config. Returns 1 when written, 0 when DIR has one. */
int cni_conf_default_write(const char *dir, struct pfs_error *err);

