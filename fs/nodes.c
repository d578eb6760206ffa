/* The registry of node kinds: one ops table per kind (node_*.c). Adding a
 * kind = its file + its line here (+ its enum node_kind value). */
#include "fs.h"

const struct node_ops *const node_kinds[NODE__MAX] = {
        [NODE_ROOT] = &node_root_ops,
        [NODE_NS] = &node_ns_ops,
        [NODE_LAST_ERROR] = &node_last_error_ops,
        [NODE_POD] = &node_pod_ops,
        [NODE_POD_FILE] = &node_pod_file_ops,
        [NODE_LOGS_DIR] = &node_logs_dir_ops,
        [NODE_LOG] = &node_log_ops,
        [NODE_CTRS_DIR] = &node_ctrs_dir_ops,
        [NODE_CTR_DIR] = &node_ctr_dir_ops,
        [NODE_CTR_FILE] = &node_ctr_file_ops,
        [NODE_TMP] = &node_tmp_ops,
        [NODE_OBJ_KIND] = &node_obj_kind_ops,
        [NODE_OBJ] = &node_obj_ops,
        [NODE_OBJ_FILE] = &node_obj_file_ops,
        [NODE_IMAGES] = &node_images_ops,
        [NODE_IMAGE] = &node_image_ops,
        [NODE_NODE_DIR] = &node_node_dir_ops,
        [NODE_NODE_FILE] = &node_node_file_ops,
        [NODE_NS_YAML] = &node_ns_yaml_ops,
        [NODE_CTR_STDIN] = &node_ctr_stdin_ops,
};
