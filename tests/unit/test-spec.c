/* Unit tests of the Pod spec model: rejections with the API server's words,
 * defaults, multi-document streams, hints, equality and the JSON shape. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pfs/pss.h"
#include "pfs/spec.h"
#include "pfs/util.h"
#include "pfs/status.h"
#include "tap.h"

#define HDR "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n"
/* Lines 6-8 */
#define CTR "  containers:\n  - name: app\n    image: busybox\n"
#define POD HDR CTR
#define POD_SC_YAML HDR "  securityContext:\n    runAsUser: 1000\n    runAsNonRoot: true\n    fsGroup: 2000\n" \
        "    supplementalGroups: [5]\n    seccompProfile: {type: RuntimeDefault}\n" CTR                       \
        "    securityContext:\n      runAsUser: 7\n      allowPrivilegeEscalation: false\n"                  \
        "      readOnlyRootFilesystem: true\n      capabilities: {drop: [ALL], add: [NET_ADMIN]}\n"          \
        "      seccompProfile: {type: Unconfined}\n"

#define LABEL_MSG                                                                               \
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', " \
        "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', " \
        "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
#define SUBDOMAIN_MSG                                                                           \
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' " \
        "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "    \
        "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define INVALID(line, name) "web.yaml: line " #line ": Pod \"" name "\" is invalid: "

struct bad {
        const char *yaml;
        const char *msg;
};

static const struct bad bad_manifests[] = {
        { HDR "  containers:\n  - name: app\n    imag: busybox\n",
          INVALID(8, "web") "unknown field \"spec.containers[0].imag\"" },
        { POD "    livenessProbe:\n      exec: {command: [\"true\"]}\n      httpGet: {port: 80}\n",
          INVALID(11, "web") "spec.containers[0].livenessProbe.httpGet: Forbidden: may not specify more than 1 "
                             "handler type" },
        { POD "    args: [a, 10]\n",
          INVALID(9, "web") "spec.containers[0].args[1]: Invalid value: 10: must be a string" },
        { HDR "  containers:\n  - image: busybox\n",
          INVALID(7, "web") "spec.containers[0].name: Required value" },
        { POD "  - name: app\n    image: busybox\n",
          INVALID(9, "web") "spec.containers[1].name: Duplicate value: \"app\"" },
        { HDR "  restartPolicy: Sometimes\n" CTR,
          INVALID(6, "web") "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: "
                            "\"Always\", \"OnFailure\", \"Never\"" },
        { "kind: Pod\nmetadata:\n  name: web\nspec:\n" CTR,
          "web.yaml: line 1: Pod \"web\" is invalid: apiVersion: Required value" },
        { "apiVersion: v1\nkind: Pod\nmetadata:\n  name: Web\nspec:\n" CTR,
          INVALID(4, "Web") "metadata.name: Invalid value: \"Web\": " SUBDOMAIN_MSG },
        { POD "    volumeMounts:\n    - name: data\n      mountPath: /data\n",
          INVALID(10, "web") "spec.containers[0].volumeMounts[0].name: Not found: \"data\"" },
        { HDR "  volumes: [{name: data, emptyDir: {}}]\n" CTR "    volumeMounts:\n    - name: data\n",
          INVALID(11, "web") "spec.containers[0].volumeMounts[0].mountPath: Required value" },
        { HDR "  ephemeralContainers: [{name: debug, image: busybox}]\n" CTR,
          INVALID(6, "web") "spec.ephemeralContainers: Forbidden: cannot be set on create" },
        { HDR "  serviceAccountName: builder\n" CTR,
          INVALID(6, "web") "spec.serviceAccountName: Forbidden: not supported by podfs yet" },
        { HDR "  volumes: [{name: data, emptyDir: {}}]\n" CTR
              "    volumeMounts:\n    - {name: data, mountPath: /d}\n    - {name: data, mountPath: /d}\n",
          INVALID(12, "web") "spec.containers[0].volumeMounts[1].mountPath: Invalid value: \"/d\": must be unique" },
        { HDR "  volumes: [{name: data, emptyDir: {}}]\n" CTR
              "    volumeMounts:\n    - {name: data, mountPath: /d, subPath: /etc}\n",
          INVALID(11, "web") "spec.containers[0].volumeMounts.subPath: Invalid value: \"/etc\": "
                             "must be a relative path" },
        { HDR "  volumes: [{name: data, emptyDir: {}}]\n" CTR
              "    volumeMounts:\n    - {name: data, mountPath: /d, subPath: a/../../b}\n",
          INVALID(11, "web") "spec.containers[0].volumeMounts.subPath: Invalid value: \"a/../../b\": "
                             "must not contain '..'" },
        { HDR "  automountServiceAccountToken: true\n" CTR,
          INVALID(6, "web") "spec.automountServiceAccountToken: Forbidden: not supported by podfs yet" },
        { HDR "  volumes:\n  - name: host\n    hostPath:\n      path: /srv\n      type: Dir\n" CTR,
          INVALID(10, "web") "spec.volumes[0].hostPath.type: Unsupported value: \"Dir\": supported values: "
                             "\"\", \"BlockDevice\", \"CharDevice\", \"Directory\", \"DirectoryOrCreate\", "
                             "\"File\", \"FileOrCreate\", \"Socket\"" },
        { HDR "  volumes:\n  - {name: data, emptyDir: {}}\n  - {name: data, emptyDir: {}}\n" CTR,
          INVALID(8, "web") "spec.volumes[1].name: Duplicate value: \"data\"" },
        { HDR "  volumes:\n  - {name: Data, emptyDir: {}}\n" CTR,
          INVALID(7, "web") "spec.volumes[0].name: Invalid value: \"Data\": " LABEL_MSG },
        { HDR "  volumes:\n  - name: data\n" CTR,
          INVALID(7, "web") "spec.volumes[0]: Required value: must specify a volume type" },
        { HDR "  volumes:\n  - name: data\n    emptyDir: {}\n    hostPath: {path: /srv}\n" CTR,
          INVALID(9, "web") "spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type" },
        { HDR "  volumes:\n  - name: cfg\n    gitRepo: {repository: x}\n" CTR,
          INVALID(8, "web") "spec.volumes[0].gitRepo: Forbidden: not supported by podfs yet" },
        { HDR "  volumes:\n  - name: cfg\n    configMap: {}\n" CTR,
          INVALID(8, "web") "spec.volumes[0].configMap.name: Required value" },
        { HDR "  volumes:\n  - name: cfg\n    configMap: {name: c, defaultMode: 01000}\n" CTR,
          INVALID(8, "web") "spec.volumes[0].configMap.defaultMode: Invalid value: 512: must be a number between "
                            "0 and 0777 (octal), both inclusive" },
        { HDR "  volumes:\n  - name: cfg\n    configMap:\n      name: c\n      items: [{key: a, path: /etc/a}]\n" CTR,
          INVALID(10, "web") "spec.volumes[0].configMap.items[0].path: Invalid value: \"/etc/a\": must be a relative path" },
        { HDR "  volumes:\n  - name: cfg\n    configMap:\n      name: c\n      items: [{key: a, path: x/../../a}]\n" CTR,
          INVALID(10, "web") "spec.volumes[0].configMap.items[0].path: Invalid value: \"x/../../a\": must not contain '..'" },
        { HDR "  volumes:\n  - name: cfg\n    configMap:\n      name: c\n      items: [{key: a, path: ..a}]\n" CTR,
          INVALID(10, "web") "spec.volumes[0].configMap.items[0].path: Invalid value: \"..a\": must not start with '..'" },
        { HDR "  volumes:\n  - name: cfg\n    configMap:\n      name: c\n      items: [{path: a, mode: -1}]\n" CTR,
          INVALID(10, "web") "spec.volumes[0].configMap.items[0].key: Required value" },
        { HDR "  volumes:\n  - name: s\n    secret: {defaultMode: 0400}\n" CTR,
          INVALID(8, "web") "spec.volumes[0].secret.secretName: Required value" },
        { HDR "  volumes:\n  - name: s\n    secret: {secretName: s, items: [{key: k, path: p, mode: 512}]}\n" CTR,
          INVALID(8, "web") "spec.volumes[0].secret.items[0].mode: Invalid value: 512: must be a number between "
                            "0 and 0777 (octal), both inclusive" },
        { HDR "  volumes:\n  - name: d\n    downwardAPI:\n      items:\n      - path: node\n"
              "        fieldRef: {fieldPath: spec.nodeName}\n" CTR,
          INVALID(8, "web") "spec.volumes[0].downwardAPI.fieldRef.fieldPath: Unsupported value: \"spec.nodeName\": "
                             "supported values: \"metadata.annotations\", \"metadata.labels\", \"metadata.name\", "
                             "\"metadata.namespace\", \"metadata.uid\"" },
        { HDR "  volumes:\n  - name: d\n    downwardAPI:\n      items:\n      - path: x\n"
              "        fieldRef: {fieldPath: metadata.generateName}\n" CTR,
          INVALID(8, "web") "spec.volumes[0].downwardAPI.fieldRef.fieldPath: Invalid value: \"metadata.generateName\": "
                             "error converting fieldPath: field label not supported: metadata.generateName" },
        { HDR "  volumes:\n  - name: d\n    downwardAPI:\n      items:\n      - path: x\n"
              "        fieldRef: {apiVersion: v2, fieldPath: metadata.name}\n" CTR,
          INVALID(8, "web") "spec.volumes[0].downwardAPI.fieldRef.fieldPath: Invalid value: \"metadata.name\": "
                             "error converting fieldPath: unsupported pod version: v2" },
        { HDR "  volumes:\n  - name: d\n    downwardAPI:\n      items:\n      - path: x\n" CTR,
          INVALID(8, "web") "spec.volumes[0].downwardAPI: Required value: one of fieldRef and resourceFieldRef is required" },
        { HDR "  volumes:\n  - name: d\n    downwardAPI:\n      items:\n      - path: x\n"
              "        fieldRef: {fieldPath: metadata.name}\n        resourceFieldRef: {containerName: app, resource: limits.cpu}\n" CTR,
          INVALID(8, "web") "spec.volumes[0].downwardAPI: Invalid value: \"resource\": fieldRef and resourceFieldRef "
                            "can not be specified simultaneously" },
        { HDR "  volumes:\n  - name: d\n    downwardAPI:\n      items:\n      - path: x\n"
              "        resourceFieldRef: {resource: limits.cpu}\n" CTR,
          INVALID(8, "web") "spec.volumes[0].downwardAPI.resourceFieldRef.containerName: Required value" },
        { HDR "  volumes:\n  - name: d\n    downwardAPI:\n      items:\n      - path: x\n"
              "        resourceFieldRef: {containerName: app, resource: limits.cpu, divisor: 1Mi}\n" CTR,
          INVALID(8, "web") "spec.volumes[0].downwardAPI.resourceFieldRef.divisor: Invalid value: \"limits.cpu\": "
                             "only divisor's values 1m and 1 are supported with the cpu resource" },
        { HDR "  volumes:\n  - name: d\n    downwardAPI:\n      items:\n      - path: x\n"
              "        resourceFieldRef: {containerName: app, resource: limits.gpu}\n" CTR,
          INVALID(8, "web") "spec.volumes[0].downwardAPI.resourceFieldRef.resource: Unsupported value: \"limits.gpu\": "
                             "supported values: \"limits.cpu\", \"limits.ephemeral-storage\", \"limits.memory\", "
                             "\"requests.cpu\", \"requests.ephemeral-storage\", \"requests.memory\"" },
        { HDR "  volumes:\n  - name: p\n    projected:\n      sources:\n      - configMap: {name: a, items: [{key: k, path: x}]}\n"
              "      - secret: {name: b, items: [{key: k, path: x}]}\n" CTR,
          INVALID(8, "web") "spec.volumes[0].projected: Invalid value: \"b\": conflicting duplicate paths" },
        { HDR "  volumes:\n  - name: p\n    projected:\n      sources:\n      - configMap: {name: a}\n"
              "        secret: {name: b}\n" CTR,
          INVALID(10, "web") "spec.volumes[0].projected.sources[0]: Forbidden: may not specify more than 1 volume type" },
        { HDR "  volumes:\n  - name: p\n    projected:\n      sources:\n      - downwardAPI: {}\n"
              "      - secret: {}\n" CTR,
          INVALID(11, "web") "spec.volumes[0].projected.sources[1].secret.name: Required value" },
        { HDR "  volumes:\n  - name: p\n    projected:\n      sources:\n      - serviceAccountToken: {path: token}\n" CTR,
          INVALID(10, "web") "spec.volumes[0].projected.sources[0].serviceAccountToken: Forbidden: not supported by "
                             "podfs: there is no service account token issuer" },
        { HDR "  volumes:\n  - name: p\n    projected:\n      sources:\n      - clusterTrustBundle: {path: b, signerName: x}\n" CTR,
          INVALID(10, "web") "spec.volumes[0].projected.sources[0].clusterTrustBundle: Forbidden: not supported by "
                             "podfs: there is no certificate issuer" },
        { HDR "  volumes:\n  - name: c\n    persistentVolumeClaim: {readOnly: true}\n" CTR,
          INVALID(8, "web") "spec.volumes[0].persistentVolumeClaim.claimName: Required value" },
        { HDR "  volumes:\n  - name: i\n    image: {pullPolicy: Sometimes}\n" CTR,
          INVALID(8, "web") "[spec.volumes[0].image.reference: Required value, spec.volumes[0].image.pullPolicy: "
                            "Unsupported value: \"Sometimes\": supported values: \"Always\", \"IfNotPresent\", \"Never\"]" },
        { HDR "  volumes:\n  - name: c\n    configMap: {name: c}\n    secret: {secretName: s}\n" CTR,
          INVALID(8, "web") "spec.volumes[0].configMap: Forbidden: may not specify more than 1 volume type" },
        { HDR "  volumes: [{name: data, emptyDir: {}}]\n" CTR
              "    volumeMounts:\n    - {name: data, mountPath: /d, subPath: a, subPathExpr: $(X)}\n",
          INVALID(11, "web") "spec.containers[0].volumeMounts[0].subPathExpr: Invalid value: \"$(X)\": "
                             "subPathExpr and subPath are mutually exclusive" },
        { HDR "  volumes: [{name: data, emptyDir: {}}]\n" CTR
              "    volumeMounts:\n    - {name: data, mountPath: /d, subPathExpr: /$(X)}\n",
          INVALID(11, "web") "spec.containers[0].volumeMounts.subPathExpr: Invalid value: \"/$(X)\": "
                             "must be a relative path" },
        /* the second mount's errors name the list too, their line is the mount's */
        { HDR "  volumes: [{name: data, emptyDir: {}}]\n" CTR
              "    volumeMounts:\n    - {name: data, mountPath: /a}\n"
              "    - {name: data, mountPath: /d, subPath: /x/.., subPathExpr: ../$(X)}\n",
          INVALID(12, "web") "[spec.containers[0].volumeMounts.subPath: Invalid value: \"/x/..\": must be a "
                             "relative path, spec.containers[0].volumeMounts.subPath: Invalid value: \"/x/..\": "
                             "must not contain '..', spec.containers[0].volumeMounts[1].subPathExpr: Invalid "
                             "value: \"../$(X)\": subPathExpr and subPath are mutually exclusive, "
                             "spec.containers[0].volumeMounts.subPathExpr: Invalid value: \"../$(X)\": must "
                             "not contain '..']" },
        { HDR "  containers:\n  - name: App\n    image: busybox\n",
          INVALID(7, "web") "spec.containers[0].name: Invalid value: \"App\": " LABEL_MSG },
        { "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels:\n    \"bad key\": x\nspec:\n" CTR,
          INVALID(6, "web") "metadata.labels: Invalid value: \"bad key\": name part must consist of alphanumeric "
                            "characters, '-', '_' or '.', and must start and end with an alphanumeric character "
                            "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
                            "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')" },
        { "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels:\n    app: -x\nspec:\n" CTR,
          INVALID(6, "web") "metadata.labels: Invalid value: \"-x\": a valid label must be an empty string or "
                            "consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
                            "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
                            "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')" },
        { "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels:\n    app: 12\nspec:\n" CTR,
          INVALID(6, "web") "metadata.labels[app]: Invalid value: 12: must be a string" },
        { POD "    env:\n    - name: \"A=B\"\n      value: a\n",
          INVALID(10, "web") "spec.containers[0].env[0].name: Invalid value: \"A=B\": a valid environment variable "
                             "name must consist only of printable ASCII characters other than '='" },
        { POD "    env:\n    - name: X\n      valueFrom: {}\n",
          INVALID(11, "web") "spec.containers[0].env[0].valueFrom: Invalid value: \"\": must specify one of: "
                             "`fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`" },
        { POD "    env:\n    - name: X\n      value: a\n      valueFrom: {fieldRef: {fieldPath: metadata.name}}\n",
          INVALID(12, "web") "spec.containers[0].env[0].valueFrom: Invalid value: \"\": may not be specified when "
                             "`value` is not empty" },
        { POD "    env:\n    - name: X\n      valueFrom:\n        fieldRef: {fieldPath: metadata.name}\n"
              "        configMapKeyRef: {name: c, key: k}\n",
          INVALID(11, "web") "spec.containers[0].env[0].valueFrom: Invalid value: \"\": may not have more than one "
                             "field specified at a time" },
        { POD "    env:\n    - name: X\n      valueFrom: {fileKeyRef: {volumeName: v, path: p, key: k}}\n",
          INVALID(11, "web") "spec.containers[0].env[0].valueFrom.fileKeyRef: Forbidden: not supported by podfs yet" },
        { POD "    env:\n    - name: X\n      valueFrom: {fieldRef: {fieldPath: metadata.labels}}\n",
          INVALID(11, "web") "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Unsupported value: "
                             "\"metadata.labels\": supported values: \"metadata.name\", \"metadata.namespace\", "
                             "\"metadata.uid\", \"spec.nodeName\", \"spec.serviceAccountName\", \"status.hostIP\", "
                             "\"status.hostIPs\", \"status.podIP\", \"status.podIPs\"" },
        { POD "    env:\n    - name: X\n      valueFrom: {fieldRef: {fieldPath: spec.foo}}\n",
          INVALID(11, "web") "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Invalid value: \"spec.foo\": "
                             "error converting fieldPath: field label not supported: spec.foo" },
        { POD "    env:\n    - name: X\n      valueFrom: {fieldRef: {apiVersion: v2, fieldPath: metadata.name}}\n",
          INVALID(11, "web") "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Invalid value: "
                             "\"metadata.name\": error converting fieldPath: unsupported pod version: v2" },
        { POD "    env:\n    - name: X\n      valueFrom: {fieldRef: {fieldPath: \"metadata.name['x']\"}}\n",
          INVALID(11, "web") "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Invalid value: "
                             "\"metadata.name['x']\": error converting fieldPath: field label does not support "
                             "subscript: metadata.name['x']" },
        { POD "    env:\n    - name: X\n      valueFrom: {fieldRef: {fieldPath: \"metadata.labels['a b']\"}}\n",
          INVALID(11, "web") "spec.containers[0].env[0].valueFrom.fieldRef: Invalid value: \"a b\": name part must "
                             "consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
                             "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
                             "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')" },
        { POD "    env:\n    - name: X\n      valueFrom: {fieldRef: {}}\n",
          INVALID(11, "web") "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Required value" },
        { POD "    env:\n    - name: X\n      valueFrom: {resourceFieldRef: {resource: limits.gpu}}\n",
          INVALID(11, "web") "spec.containers[0].env[0].valueFrom.resourceFieldRef.resource: Unsupported value: "
                             "\"limits.gpu\": supported values: \"limits.cpu\", \"limits.ephemeral-storage\", "
                             "\"limits.memory\", \"requests.cpu\", \"requests.ephemeral-storage\", \"requests.memory\"" },
        { POD "    env:\n    - name: X\n      valueFrom: {resourceFieldRef: {containerName: app}}\n",
          INVALID(11, "web") "spec.containers[0].env[0].valueFrom.resourceFieldRef.resource: Required value" },
        { POD "    env:\n    - name: X\n      valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 1Mi}}\n",
          INVALID(11, "web") "spec.containers[0].env[0].valueFrom.resourceFieldRef.divisor: Invalid value: "
                             "\"limits.cpu\": only divisor's values 1m and 1 are supported with the cpu resource" },
        { POD "    env:\n    - name: X\n      valueFrom: {resourceFieldRef: {resource: requests.memory, divisor: 2Mi}}\n",
          INVALID(11, "web") "spec.containers[0].env[0].valueFrom.resourceFieldRef.divisor: Invalid value: "
                             "\"requests.memory\": only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, "
                             "1Ti, 1Pi, 1Ei are supported with the memory resource" },
        { POD "    env:\n    - name: X\n      valueFrom: {configMapKeyRef: {name: cfg}}\n",
          INVALID(11, "web") "spec.containers[0].env[0].valueFrom.configMapKeyRef.key: Required value" },
        { POD "    env:\n    - name: X\n      valueFrom: {secretKeyRef: {name: Cfg, key: k}}\n",
          INVALID(11, "web") "spec.containers[0].env[0].valueFrom.secretKeyRef.name: Invalid value: \"Cfg\": "
              SUBDOMAIN_MSG },
        { POD "    env:\n    - name: X\n      valueFrom: {configMapKeyRef: {name: cfg, key: \"a/b\"}}\n",
          INVALID(11, "web") "spec.containers[0].env[0].valueFrom.configMapKeyRef.key: Invalid value: \"a/b\": a "
                             "valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
                             "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
                             "'[-._a-zA-Z0-9]+')" },
        { POD "    env:\n    - name: X\n      valueFrom: {configMapKeyRef: {name: cfg, key: ..k}}\n",
          INVALID(11, "web") "spec.containers[0].env[0].valueFrom.configMapKeyRef.key: Invalid value: \"..k\": must "
                             "not start with '..'" },
        { POD "    envFrom:\n    - prefix: P_\n",
          INVALID(9, "web") "spec.containers[0].envFrom: Invalid value: \"\": must specify one of: `configMapRef` or "
                            "`secretRef`" },
        { POD "    envFrom:\n    - {configMapRef: {name: a}, secretRef: {name: b}}\n",
          INVALID(9, "web") "spec.containers[0].envFrom: Invalid value: \"\": may not have more than one field "
                            "specified at a time" },
        { POD "    envFrom:\n    - configMapRef: {optional: true}\n",
          INVALID(10, "web") "spec.containers[0].envFrom[0].configMapRef.name: Required value" },
        { POD "    envFrom:\n    - {prefix: \"A=\", secretRef: {name: s}}\n",
          INVALID(10, "web") "spec.containers[0].envFrom[0].prefix: Invalid value: \"A=\": a valid environment "
                             "variable name must consist only of printable ASCII characters other than '='" },
        { POD "    envFrom:\n    - secretRef: {name: s, key: k}\n",
          INVALID(10, "web") "unknown field \"spec.containers[0].envFrom[0].secretRef.key\"" },
        { POD "    env:\n    - name: PORT\n      value: 8080\n",
          INVALID(11, "web") "spec.containers[0].env[0].value: Invalid value: 8080: must be a string" },
        { HDR "  terminationGracePeriodSeconds: -1\n" CTR,
          INVALID(6, "web") "spec.terminationGracePeriodSeconds: Invalid value: -1: must be greater than or equal to 0" },
        { HDR "  hostname: Web_1\n" CTR,
          INVALID(6, "web") "spec.hostname: Invalid value: \"Web_1\": " LABEL_MSG },
        { "apiVersion: apps/v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n" CTR,
          INVALID(1, "web") "apiVersion: Unsupported value: \"apps/v1\": supported values: \"v1\"" },
        { "apiVersion: v1\nkind: Deployment\nmetadata:\n  name: web\n",
          INVALID(2, "web") "kind: Unsupported value: \"Deployment\": supported values: \"Pod\"" },
        { "apiVersion: v1\nmetadata:\n  name: web\n",
          INVALID(1, "web") "kind: Required value" },
        { HDR "  containers: []\n",
          INVALID(6, "web") "spec.containers: Required value" },
        { "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n",
          INVALID(1, "web") "spec.containers: Required value" },
        { HDR "  containers:\n  - name: app\n",
          INVALID(7, "web") "spec.containers[0].image: Required value" },
        { POD "    imagePullPolicy: Sometimes\n",
          INVALID(9, "web") "spec.containers[0].imagePullPolicy: Unsupported value: \"Sometimes\": supported "
                            "values: \"Always\", \"IfNotPresent\", \"Never\"" },
        { POD "    ports:\n    - containerPort: 70000\n",
          INVALID(10, "web") "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 "
                             "and 65535, inclusive" },
        { POD "    ports:\n    - containerPort: 80\n      protocol: HTTP\n",
          INVALID(11, "web") "spec.containers[0].ports[0].protocol: Unsupported value: \"HTTP\": supported values: "
                             "\"SCTP\", \"TCP\", \"UDP\"" },
        { POD "    ports:\n    - containerPort: \"80\"\n",
          INVALID(10, "web") "spec.containers[0].ports[0].containerPort: Invalid value: \"80\": must be an integer" },
        { POD "    ports:\n    - {name: http, containerPort: 80}\n    - {name: http, containerPort: 81}\n",
          INVALID(11, "web") "spec.containers[0].ports[1].name: Duplicate value: \"http\"" },
        { POD "    ports:\n    - {containerPort: 80, hostPort: 70000}\n",
          INVALID(10, "web") "spec.containers[0].ports[0].hostPort: Invalid value: 70000: must be between 1 "
                             "and 65535, inclusive" },
        /* validateContainerPorts' order: name, containerPort, hostPort, protocol */
        { POD "    ports:\n    - {name: Http, containerPort: 0, hostPort: 70000, protocol: HTTP}\n",
          INVALID(10, "web") "[spec.containers[0].ports[0].name: Invalid value: \"Http\": must contain only "
                             "alpha-numeric characters (a-z, 0-9), and hyphens (-), "
                             "spec.containers[0].ports[0].containerPort: Required value, "
                             "spec.containers[0].ports[0].hostPort: Invalid value: 70000: must be between 1 "
                             "and 65535, inclusive, spec.containers[0].ports[0].protocol: Unsupported value: "
                             "\"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\"]" },
        { POD "    ports:\n    - {containerPort: 80, hostPort: 8080}\n    - {containerPort: 81, hostPort: 8080}\n",
          INVALID(11, "web") "spec.containers[0].ports[1].hostPort: Duplicate value: \"TCP//8080\"" },
        { HDR "  hostAliases:\n  - {ip: 10.0.0.300, hostnames: [db]}\n" CTR,
          INVALID(7, "web") "spec.hostAliases[0].ip: Invalid value: \"10.0.0.300\": must be a valid IP address, "
                            "(e.g. 10.9.8.7 or 2001:db8::ffff)" },
        { HDR "  hostAliases:\n  - {ip: 10.0.0.3, hostnames: [Db_1]}\n" CTR,
          INVALID(7, "web") "spec.hostAliases[0].hostnames[0]: Invalid value: \"Db_1\": " SUBDOMAIN_MSG },
        { HDR "  dnsConfig:\n    nameservers: [1.1.1.1, 2.2.2.2, 3.3.3.3, 4.4.4.4]\n" CTR,
          INVALID(7, "web") "spec.dnsConfig.nameservers: Invalid value: []string{\"1.1.1.1\", \"2.2.2.2\", "
                            "\"3.3.3.3\", \"4.4.4.4\"}: must not have more than 3 nameservers" },
        { HDR "  dnsConfig:\n    searches: [s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15, s16, s17, s18, s19, s20, s21, s22, s23, s24, s25, s26, s27, s28, s29, s30, s31, s32]\n" CTR,
          INVALID(7, "web") "spec.dnsConfig.searches: Invalid value: []string{\"s0\", \"s1\", \"s2\", \"s3\", \"s4\", \"s5\", \"s6\", \"s7\", \"s8\", \"s9\", \"s10\", \"s11\", \"s12\", \"s13\", \"s14\", \"s15\", \"s16\", \"s17\", \"s18\", \"s19\", \"s20\", \"s21\", \"s22\", \"s23\", \"s24\", \"s25\", \"s26\", \"s27\", \"s28\", \"s29\", \"s30\", \"s31\", \"s32\"}: must not have more than 32 search paths" },
        { POD "    ports:\n    - {containerPort: 99999999999}\n",
          INVALID(10, "web") "spec.containers[0].ports[0].containerPort: Invalid value: 99999999999: must fit in a "
                             "32-bit integer" },
        { HDR "  dnsConfig:\n    searches: [_tcp.Example.com]\n" CTR,
          INVALID(7, "web") "spec.dnsConfig.searches[0]: Invalid value: \"_tcp.Example.com\": a lowercase RFC 1123 "
                            "subdomain must consist of lower case alphanumeric characters, '_', '-' or '.', and "
                            "must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
                            "validation is '_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?(\\._?[a-z0-9]([-_a-z0-9]*[a-z0-9])?)*')" },
        { HDR "  dnsConfig:\n    searches: [\"..\"]\n" CTR,
          INVALID(7, "web") "spec.dnsConfig.searches[0]: Invalid value: \".\": a lowercase RFC 1123 "
                            "subdomain must consist of lower case alphanumeric characters, '_', '-' or '.', and "
                            "must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
                            "validation is '_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?(\\._?[a-z0-9]([-_a-z0-9]*[a-z0-9])?)*')" },
        { HDR "  dnsConfig:\n    options:\n    - value: \"2\"\n" CTR,
          INVALID(8, "web") "spec.dnsConfig.options[0]: Required value: must not be empty" },
        { HDR "  dnsPolicy: None\n  dnsConfig:\n    searches: [a.b]\n" CTR,
          INVALID(7, "web") "spec.dnsConfig.nameservers: Required value: must provide at least one DNS nameserver "
                            "when `dnsPolicy` is None" },
        { HDR "  subdomain: Sub\n" CTR,
          INVALID(6, "web") "spec.subdomain: Invalid value: \"Sub\": " LABEL_MSG },
        { HDR "  hostNetwork: true\n" CTR "    ports:\n    - {containerPort: 80, hostPort: 8080}\n",
          INVALID(11, "web") "spec.containers[0].ports[0].hostPort: Invalid value: 8080: must match "
                             "`containerPort` when `hostNetwork` is true" },
        /* validatePodHostNetworkDeps runs after both container lists, before dnsPolicy */
        { HDR "  hostNetwork: true\n  dnsPolicy: Cluster\n  initContainers:\n  - {name: init, image: \"\"}\n"
              CTR "    ports:\n    - {containerPort: 80, hostPort: 8080}\n",
          INVALID(9, "web") "[spec.initContainers[0].image: Required value, spec.containers[0].ports[0].hostPort: "
                            "Invalid value: 8080: must match `containerPort` when `hostNetwork` is true, "
                            "spec.dnsPolicy: Unsupported value: \"Cluster\": supported values: "
                            "\"ClusterFirstWithHostNet\", \"ClusterFirst\", \"Default\", \"None\"]" },
        /* with hostNetwork an unset hostPort is its containerPort (defaulting) */
        { HDR "  hostNetwork: true\n  containers:\n  - name: a\n    image: busybox\n"
              "    ports: [{containerPort: 80}]\n  - name: b\n    image: busybox\n"
              "    ports: [{containerPort: 80}]\n",
          INVALID(13, "web") "spec.containers[1].ports[0].hostPort: Duplicate value: \"TCP//80\"" },
        /* each init container's ports alone, named as the one-element list's [0] */
        { HDR "  initContainers:\n  - {name: a, image: busybox, ports: [{containerPort: 80, hostPort: 8080}]}\n"
              "  - name: b\n    image: busybox\n    ports:\n    - {containerPort: 80, hostPort: 8080}\n"
              "    - {containerPort: 81, hostPort: 8080}\n" CTR,
          INVALID(12, "web") "spec.initContainers[0].ports[1].hostPort: Duplicate value: \"TCP//8080\"" },
        /* after the restartPolicy check, before the hooks and probes */
        { HDR "  initContainers:\n  - name: a\n    image: busybox\n    restartPolicy: Never\n"
              "    ports:\n    - {containerPort: 80, hostPort: 8080}\n    - {containerPort: 81, hostPort: 8080}\n"
              "  - name: b\n    image: busybox\n    readinessProbe: {exec: {command: [\"true\"]}}\n" CTR,
          INVALID(9, "web") "[spec.initContainers[0].restartPolicy: Unsupported value: \"Never\": supported "
                             "values: \"Always\", spec.initContainers[0].ports[1].hostPort: Duplicate value: "
                             "\"TCP//8080\", spec.initContainers[1].readinessProbe: Forbidden: may not be set "
                             "for init containers without restartPolicy=Always]" },
        /* ValidatePodSpec's order: dnsConfig, activeDeadlineSeconds, hostname, subdomain, hostAliases */
        { HDR "  hostAliases: [{ip: 1.2.3, hostnames: [db]}]\n  subdomain: Sub\n  hostname: Host\n"
              "  activeDeadlineSeconds: 0\n  dnsConfig: {options: [{value: \"1\"}]}\n" CTR,
          INVALID(10, "web") "[spec.dnsConfig.options[0]: Required value: must not be empty, "
                             "spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, "
                             "inclusive, spec.hostname: Invalid value: \"Host\": " LABEL_MSG ", "
                             "spec.subdomain: Invalid value: \"Sub\": " LABEL_MSG ", spec.hostAliases[0].ip: "
                             "Invalid value: \"1.2.3\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)]" },
        { HDR "  dnsPolicy: None\n" CTR,
          INVALID(6, "web") "spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None" },
        { HDR "  dnsPolicy: Cluster\n" CTR,
          INVALID(6, "web") "spec.dnsPolicy: Unsupported value: \"Cluster\": supported values: "
                            "\"ClusterFirstWithHostNet\", \"ClusterFirst\", \"Default\", \"None\"" },
        { "apiVersion: v1\nkind: Pod\nmetadata:\n  name: ../x\nspec:\n" CTR,
          INVALID(4, "../x") "metadata.name: Invalid value: \"../x\": " SUBDOMAIN_MSG },
        { POD "    stdin: yes please\n",
          INVALID(9, "web") "spec.containers[0].stdin: Invalid value: \"yes please\": must be a boolean (true or false)" },
        { HDR "  os: {name: plan9}\n" CTR,
          INVALID(6, "web") "spec.os: Unsupported value: \"plan9\": supported values: \"linux\", \"windows\"" },
        { HDR "  os: {name: \"\"}\n" CTR,
          INVALID(6, "web") "spec.os.name: Required value: cannot be empty" },
        { POD "    resources:\n      limits: {memory: 12XB}\n",
          INVALID(10, "web") "spec.containers[0].resources.limits.memory: Invalid value: \"12XB\": quantities must "
                             "match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'" },
        { POD "    resources:\n      limits: {memory: 1kk}\n",
          INVALID(10, "web") "spec.containers[0].resources.limits.memory: Invalid value: \"1kk\": quantities must "
                             "match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'" },
        { POD "    resources:\n      requests: {memory: -1Mi}\n",
          INVALID(10, "web") "spec.containers[0].resources.requests[memory]: Invalid value: \"-1Mi\": must be greater "
                             "than or equal to 0" },
        { POD "    resources:\n      limits: {cpu: 1}\n      requests: {cpu: 2}\n",
          INVALID(11, "web") "spec.containers[0].resources.requests: Invalid value: \"2\": must be less than or "
                             "equal to cpu limit of 1" },
        { POD "    resources:\n      limits: {memory: 64Mi}\n      requests: {memory: 0.1Gi}\n",
          INVALID(11, "web") "spec.containers[0].resources.requests: Invalid value: \"0.1Gi\": must be less than or "
                             "equal to memory limit of 64Mi" },
        { POD "    resources:\n      limits: {cpu: [1]}\n",
          INVALID(10, "web") "spec.containers[0].resources.limits.cpu: Invalid value: [1]: must be a quantity (a "
                             "string such as \"1Gi\", or an integer)" },
        { POD "    resources:\n      limits: {ephemeral-storage: 1Gi}\n      requests: {ephemeral-storage: 2Gi}\n",
          INVALID(11, "web") "spec.containers[0].resources.requests: Invalid value: \"2Gi\": must be less than or "
                             "equal to ephemeral-storage limit of 1Gi" },
        { POD "    volumeMounts: [{name: c, mountPath: /c}]\n  volumes:\n  - name: c\n    emptyDir: {sizeLimit: -1Mi}\n",
          INVALID(12, "web") "spec.volumes[0].emptyDir.sizeLimit: Forbidden: SizeLimit field must be a valid "
                             "resource quantity" },
        { POD "    resources:\n      limits: {ephemeral-storage: -1}\n",
          INVALID(10, "web") "[spec.containers[0].resources.limits[ephemeral-storage]: Invalid value: \"-1\": must "
                             "be greater than or equal to 0, spec.containers[0].resources.requests[ephemeral-storage]: "
                             "Invalid value: \"-1\": must be greater than or equal to 0]" },
        { POD "    resources:\n      requests:\n        hugepages-2Mi: 0\n",
          INVALID(11, "web") "spec.containers[0].resources.requests[hugepages-2Mi]: Forbidden: not supported by "
                             "podfs yet" },
        { HDR "  initContainers:\n  - name: init\n    image: busybox\n    resources:\n"
              "      limits: {example.com/gpu: 1}\n" CTR,
          INVALID(10, "web") "spec.initContainers[0].resources.limits[example.com/gpu]: Forbidden: not supported by "
                             "podfs yet" },
        { POD "    resources:\n      claims: [{name: gpu}]\n",
          INVALID(10, "web") "spec.containers[0].resources.claims: Forbidden: not supported by podfs yet" },
        { POD "    resources:\n      limit: {cpu: 1}\n",
          INVALID(10, "web") "unknown field \"spec.containers[0].resources.limit\"" },
        { HDR "  containers: {name: app}\n",
          INVALID(6, "web") "spec.containers: Invalid value: {\"name\":\"app\"}: must be an array" },
        { POD "    args: [\"a\\0b\"]\n",
          INVALID(9, "web") "spec.containers[0].args[0]: Invalid value: \"a\\u0000b\": must not contain NUL characters" },
        { HDR "  hostNetwork: \"yes\"\n" CTR,
          INVALID(6, "web") "spec.hostNetwork: Invalid value: \"yes\": must be a boolean (true or false)" },
        { "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  uid: 1234\nspec:\n" CTR,
          INVALID(5, "web") "metadata.uid: Forbidden: assigned by podfs, may not be set in a manifest" },
        { POD "    terminationMessagePolicy: Always\n",
          INVALID(9, "web") "spec.containers[0].terminationMessagePolicy: Invalid value: \"Always\": must be "
                            "'File' or 'FallbackToLogsOnError'" },
        { HDR "  volumes:\n  - name: data\n    emptyDir: {medium: Disk}\n" CTR,
          INVALID(8, "web") "spec.volumes[0].emptyDir.medium: Unsupported value: \"Disk\": supported values: "
                            "\"\", \"Memory\"" },
        /* validateHostUsers: no user namespace with the node's namespaces */
        { HDR "  hostUsers: false\n  hostNetwork: true\n" CTR,
          INVALID(7, "web") "spec.hostNetwork: Forbidden: when `pod.Spec.HostUsers` is false" },
        { HDR "  hostUsers: false\n  hostPID: true\n  hostIPC: true\n" CTR,
          INVALID(7, "web") "[spec.HostPID: Forbidden: when `pod.Spec.HostUsers` is false, spec.HostIPC: "
                            "Forbidden: when `pod.Spec.HostUsers` is false]" },
        { HDR "  hostUsers: \"no\"\n" CTR,
          INVALID(6, "web") "spec.hostUsers: Invalid value: \"no\": must be a boolean (true or false)" },
        /* Pod-level resources (spec_podres.c). */
        { HDR "  resources: {requests: {cpu: \"1\"}}\n  containers:\n"
              "  - {name: a, image: busybox, resources: {requests: {cpu: 1000m}}}\n"
              "  - {name: b, image: busybox, resources: {limits: {cpu: 500m}}}\n",
          INVALID(6, "web") "spec.resources.requests[cpu]: Invalid value: \"1\": must be greater than or equal to "
                            "aggregate container requests of 1500m" },
        { HDR "  resources: {limits: {memory: 64Mi}}\n  containers:\n"
              "  - {name: a, image: busybox, resources: {limits: {memory: 128Mi}}}\n",
          INVALID(8, "web") "spec.containers[0].resources.limits[memory]: Invalid value: \"128Mi\": must be less than "
                            "or equal to pod limit of 64Mi" },
        { HDR "  resources: {requests: {cpu: \"2\"}, limits: {cpu: \"1\"}}\n" CTR,
          INVALID(6, "web") "spec.resources.requests: Invalid value: \"2\": must be less than or equal to cpu limit of 1" },
        { HDR "  resources: {limits: {ephemeral-storage: 1Gi}}\n" CTR,
          INVALID(6, "web") "spec.resources.limits[ephemeral-storage]: Unsupported value: \"ephemeral-storage\": "
                            "supported values: \"cpu\", \"memory\"" },
        /* The scheduling fields (spec_sched.c), in the API server's words. */
        { HDR "  preemptionPolicy: Sometimes\n" CTR,
          INVALID(6, "web") "spec.preemptionPolicy: Unsupported value: \"Sometimes\": supported values: \"Never\", "
                            "\"PreemptLowerPriority\"" },
        { HDR "  tolerations: [{key: a, operator: Exists, value: b}]\n" CTR,
          INVALID(6, "web") "spec.tolerations[0].operator: Invalid value: \"b\": value must be empty when `operator` is "
                            "'Exists'" },
        { HDR "  tolerations: [{operator: Equal, value: x}]\n" CTR,
          INVALID(6, "web") "spec.tolerations[0].operator: Invalid value: \"Equal\": operator must be Exists when `key` "
                            "is empty, which means \"match all values and all keys\"" },
        { HDR "  tolerations: [{key: a, effect: NoSchedule, tolerationSeconds: 5}]\n" CTR,
          INVALID(6, "web") "spec.tolerations[0].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when "
                            "`tolerationSeconds` is set" },
        { HDR "  tolerations: [{key: a, effect: Never}]\n" CTR,
          INVALID(6, "web") "spec.tolerations[0].effect: Unsupported value: \"Never\": supported values: \"NoSchedule\", "
                            "\"PreferNoSchedule\", \"NoExecute\"" },
        { HDR "  affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: []}}}\n" CTR,
          INVALID(6, "web") "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: must have at least one node selector term" },
        { HDR "  affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: "
              "[{matchExpressions: [{key: disk, operator: In}]}]}}}\n" CTR,
          INVALID(6, "web") "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: Required value: must be specified when `operator` is "
                            "'In' or 'NotIn'" },
        { HDR "  affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: "
              "[{matchExpressions: [{key: disk, operator: Exists, values: [a]}]}]}}}\n" CTR,
          INVALID(6, "web") "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: Forbidden: may not be specified when `operator` is "
                            "'Exists' or 'DoesNotExist'" },
        { HDR "  affinity: {nodeAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 0, preference: {}}]}}\n"
              CTR,
          INVALID(6, "web") "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: "
                            "Invalid value: 0: must be in the range 1-100" },
        { HDR "  affinity: {nodeAfinity: {}}\n" CTR, INVALID(6, "web") "unknown field \"spec.affinity.nodeAfinity\"" },
        { HDR "  affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: "
              "{matchExpressions: [{key: app, operator: Is, values: [a]}]}, topologyKey: zone}]}}\n" CTR,
          INVALID(6, "web") "spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]."
                            "labelSelector.matchExpressions[0].operator: Invalid value: \"Is\": not a valid selector "
                            "operator" },
        { HDR "  topologySpreadConstraints: [{maxSkew: 0, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}]\n" CTR,
          INVALID(6, "web") "spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero" },
        { HDR "  topologySpreadConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: Maybe}]\n" CTR,
          INVALID(6, "web") "spec.topologySpreadConstraints[0].whenUnsatisfiable: Unsupported value: \"Maybe\": "
                            "supported values: \"DoNotSchedule\", \"ScheduleAnyway\"" },
        { HDR "  schedulingGates: [{name: a}, {name: a}]\n" CTR,
          INVALID(6, "web") "spec.schedulingGates[1].name: Duplicate value: \"a\"" },
        { HDR "  nodeName: Node_1\n" CTR,
          INVALID(6, "web") "spec.nodeName: Invalid value: \"Node_1\": a lowercase RFC 1123 subdomain must consist of "
                            "lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric "
                            "character (e.g. 'example.com', regex used for validation is "
                            "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')" },
        { HDR "  initContainers:\n  - {name: app, image: busybox}\n" CTR,
          INVALID(7, "web") "spec.initContainers[0].name: Duplicate value: \"app\"" },
        { "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: a\n    name: b\n",
          "web.yaml: line 8: duplicate key \"name\"" },
        { "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web: x\n",
          "web.yaml: line 4: YAML syntax error: mapping values are not allowed in this context" },
        { "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n spec: {}\n",
          "web.yaml: line 5: YAML syntax error: did not find expected key while parsing a block mapping" },
        { "apiVersion: v1\nkind: Pod\nmetadata: &m\n  name: web\n",
          "web.yaml: line 3: YAML anchors and aliases are not supported" },
        /* Several errors are listed like the API server does; the line is the first one's. */
        { HDR "  restartPolicy: Sometimes\n  containers:\n  - name: App\n",
          INVALID(8, "web") "[spec.containers[0].name: Invalid value: \"App\": " LABEL_MSG ", "
                            "spec.containers[0].image: Required value, spec.restartPolicy: Unsupported value: "
                            "\"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"]" },
        /* Hooks and probes. */
        { POD "    livenessProbe: {periodSeconds: 5}\n",
          INVALID(9, "web") "spec.containers[0].livenessProbe: Required value: must specify a handler type" },
        { POD "    readinessProbe:\n      exec: {}\n",
          INVALID(10, "web") "spec.containers[0].readinessProbe.exec.command: Required value" },
        { POD "    livenessProbe:\n      httpGet: {path: /healthz, port: 70000}\n",
          INVALID(10, "web") "spec.containers[0].livenessProbe.httpGet.port: Invalid value: 70000: must be "
                             "between 1 and 65535, inclusive" },
        { POD "    livenessProbe:\n      httpGet: {path: /}\n",
          INVALID(10, "web") "spec.containers[0].livenessProbe.httpGet.port: Invalid value: 0: must be "
                             "between 1 and 65535, inclusive" },
        { POD "    readinessProbe:\n      tcpSocket: {port: Http_Port}\n",
          INVALID(10, "web") "spec.containers[0].readinessProbe.tcpSocket.port: Invalid value: \"Http_Port\": "
                             "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)" },
        { POD "    readinessProbe:\n      tcpSocket: {port: \"80\"}\n",
          INVALID(10, "web") "spec.containers[0].readinessProbe.tcpSocket.port: Invalid value: \"80\": "
                             "must contain at least one letter (a-z)" },
        { POD "    readinessProbe:\n      tcpSocket: {port: true}\n",
          INVALID(10, "web") "spec.containers[0].readinessProbe.tcpSocket.port: Invalid value: true: must be "
                             "an integer or a string (a port number or name)" },
        { POD "    livenessProbe:\n      httpGet: {port: 80, scheme: http}\n",
          INVALID(10, "web") "spec.containers[0].livenessProbe.httpGet.scheme: Unsupported value: \"http\": "
                             "supported values: \"HTTP\", \"HTTPS\"" },
        { POD "    livenessProbe:\n      httpGet:\n        port: 80\n"
              "        httpHeaders: [{name: X Probe, value: v}]\n",
          INVALID(12, "web") "spec.containers[0].livenessProbe.httpGet.httpHeaders: Invalid value: \"X Probe\": "
                             "a valid HTTP header must consist of alphanumeric characters or '-' (e.g. "
                             "'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')" },
        { POD "    livenessProbe:\n      grpc: {port: 9000}\n",
          INVALID(10, "web") "spec.containers[0].livenessProbe.grpc: Forbidden: not supported by podfs yet "
                             "(grpc probes need HTTP/2)" },
        { POD "    readinessProbe:\n      httpGet: {port: 80, scheme: HTTPS}\n",
          INVALID(10, "web") "spec.containers[0].readinessProbe.httpGet.scheme: Forbidden: HTTPS is not "
                             "supported by podfs yet" },
        { POD "    readinessProbe:\n      exec: {command: [x]}\n      periodSeconds: -1\n",
          INVALID(11, "web") "spec.containers[0].readinessProbe.periodSeconds: Invalid value: -1: must be "
                             "greater than or equal to 0" },
        { POD "    livenessProbe:\n      exec: {command: [x]}\n      successThreshold: 2\n",
          INVALID(11, "web") "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1" },
        { POD "    startupProbe:\n      exec: {command: [x]}\n      successThreshold: -3\n",
          INVALID(11, "web") "[spec.containers[0].startupProbe.successThreshold: Invalid value: -3: must be "
                             "greater than or equal to 0, spec.containers[0].startupProbe.successThreshold: "
                             "Invalid value: -3: must be 1]" },
        { POD "    readinessProbe:\n      exec: {command: [x]}\n      terminationGracePeriodSeconds: 5\n",
          INVALID(11, "web") "spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Invalid value: 5: "
                             "must not be set for readinessProbes" },
        { POD "    livenessProbe:\n      exec: {command: [x]}\n      terminationGracePeriodSeconds: 0\n",
          INVALID(11, "web") "spec.containers[0].livenessProbe.terminationGracePeriodSeconds: Invalid value: 0: "
                             "must be greater than 0" },
        { POD "    livenessProbe:\n      exec: {command: [x]}\n      terminationGracePeriodSeconds: -1\n",
          INVALID(11, "web") "spec.containers[0].livenessProbe.terminationGracePeriodSeconds: Invalid value: -1: "
                             "must be greater than 0" },
        { POD "    livenessProbe:\n      exec: {command: [x]}\n      timeoutSeconds: 1.5\n",
          INVALID(11, "web") "spec.containers[0].livenessProbe.timeoutSeconds: Invalid value: 1.5: must be an "
                             "integer" },
        { POD "    livenessProbe: {sleep: {seconds: 1}}\n",
          INVALID(9, "web") "unknown field \"spec.containers[0].livenessProbe.sleep\"" },
        { POD "    lifecycle:\n      postStart: {grpc: {port: 9000}}\n",
          INVALID(10, "web") "unknown field \"spec.containers[0].lifecycle.postStart.grpc\"" },
        { POD "    lifecycle:\n      preStop:\n        tcpSocket: {port: 80}\n",
          INVALID(11, "web") "spec.containers[0].lifecycle.preStop.tcpSocket: Forbidden: tcpSocket is not "
                             "supported in lifecycle hooks (Kubernetes accepts it but the hook fails when it "
                             "runs); use exec, httpGet or sleep" },
        { POD "    lifecycle:\n      preStop:\n        sleep: {seconds: -1}\n",
          INVALID(11, "web") "spec.containers[0].lifecycle.preStop.sleep: Invalid value: -1: must be "
                             "non-negative and less than terminationGracePeriodSeconds (30)" },
        { HDR "  terminationGracePeriodSeconds: 10\n" CTR "    lifecycle:\n      preStop: {sleep: {seconds: 20}}\n",
          INVALID(11, "web") "spec.containers[0].lifecycle.preStop.sleep: Invalid value: 20: must be "
                             "non-negative and less than terminationGracePeriodSeconds (10)" },
        { POD "    lifecycle:\n      postStart: {}\n",
          INVALID(10, "web") "spec.containers[0].lifecycle.postStart: Required value: must specify a handler type" },
        { POD "    lifecycle:\n      postStart:\n        exec: {command: [x]}\n        sleep: {seconds: 1}\n",
          INVALID(12, "web") "spec.containers[0].lifecycle.postStart.sleep: Forbidden: may not specify more "
                             "than 1 handler type" },
        { POD "    lifecycle:\n      stopSignal: SIGUSR1\n",
          INVALID(10, "web") "spec.containers[0].lifecycle.stopSignal: Forbidden: may not be set for containers "
                             "with empty `spec.os.name`" },
        { HDR "  os: {name: windows}\n" CTR "    lifecycle:\n      stopSignal: SIGUSR1\n",
          INVALID(11, "web") "spec.containers[0].lifecycle.stopSignal: Unsupported value: \"SIGUSR1\": supported "
                             "values: \"SIGKILL\", \"SIGTERM\"" },
        { HDR "  os: {name: linux}\n" CTR "    lifecycle:\n      stopSignal: USR1\n",
          INVALID(11, "web") "spec.containers[0].lifecycle.stopSignal: Unsupported value: \"USR1\": supported "
                             "values: \"SIGABRT\", \"SIGALRM\", \"SIGBUS\", \"SIGCHLD\", \"SIGCLD\", \"SIGCONT\", "
                             "\"SIGFPE\", \"SIGHUP\", \"SIGILL\", \"SIGINT\", \"SIGIO\", \"SIGIOT\", \"SIGKILL\", "
                             "\"SIGPIPE\", \"SIGPOLL\", \"SIGPROF\", \"SIGPWR\", \"SIGQUIT\", \"SIGRTMAX\", "
                             "\"SIGRTMAX-1\", \"SIGRTMAX-10\", \"SIGRTMAX-11\", \"SIGRTMAX-12\", \"SIGRTMAX-13\", "
                             "\"SIGRTMAX-14\", \"SIGRTMAX-2\", \"SIGRTMAX-3\", \"SIGRTMAX-4\", \"SIGRTMAX-5\", "
                             "\"SIGRTMAX-6\", \"SIGRTMAX-7\", \"SIGRTMAX-8\", \"SIGRTMAX-9\", \"SIGRTMIN\", "
                             "\"SIGRTMIN+1\", \"SIGRTMIN+10\", \"SIGRTMIN+11\", \"SIGRTMIN+12\", \"SIGRTMIN+13\", "
                             "\"SIGRTMIN+14\", \"SIGRTMIN+15\", \"SIGRTMIN+2\", \"SIGRTMIN+3\", \"SIGRTMIN+4\", "
                             "\"SIGRTMIN+5\", \"SIGRTMIN+6\", \"SIGRTMIN+7\", \"SIGRTMIN+8\", \"SIGRTMIN+9\", "
                             "\"SIGSEGV\", \"SIGSTKFLT\", \"SIGSTOP\", \"SIGSYS\", \"SIGTERM\", \"SIGTRAP\", "
                             "\"SIGTSTP\", \"SIGTTIN\", \"SIGTTOU\", \"SIGURG\", \"SIGUSR1\", \"SIGUSR2\", "
                             "\"SIGVTALRM\", \"SIGWINCH\", \"SIGXCPU\", \"SIGXFSZ\"" },
        { POD "    lifecycle: {preStop: []}\n",
          INVALID(9, "web") "spec.containers[0].lifecycle.preStop: Invalid value: []: must be an object" },
        /* Init containers. */
        { HDR "  initContainers:\n  - {name: init, image: busybox}\n  - {name: init, image: busybox}\n" CTR,
          INVALID(8, "web") "spec.initContainers[1].name: Duplicate value: \"init\"" },
        { HDR "  initContainers:\n  - {name: init}\n" CTR,
          INVALID(7, "web") "spec.initContainers[0].image: Required value" },
        { HDR "  initContainers:\n  - name: init\n    image: busybox\n    livenessProbe: {exec: {command: [x]}}\n"
              "    lifecycle: {}\n" CTR,
          INVALID(10, "web") "[spec.initContainers[0].lifecycle: Forbidden: may not be set for init containers "
                            "without restartPolicy=Always, spec.initContainers[0].livenessProbe: Forbidden: may not "
                            "be set for init containers without restartPolicy=Always]" },
        /* Sidecars: restartPolicy Always only, probes validated as an app container's. */
        { HDR "  initContainers:\n  - name: init\n    image: busybox\n    restartPolicy: Never\n"
              "    readinessProbe: {exec: {command: [x]}}\n" CTR,
          INVALID(9, "web") "spec.initContainers[0].restartPolicy: Unsupported value: \"Never\": supported values: "
                            "\"Always\"" },
        { HDR "  initContainers:\n  - name: init\n    image: busybox\n    restartPolicy: Always\n"
              "    livenessProbe: {exec: {command: [x]}, successThreshold: 2}\n" CTR,
          INVALID(10, "web") "spec.initContainers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1" },
        { POD "    restartPolicy: Always\n",
          INVALID(9, "web") "spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers" },
        { POD "    restartPolicyRules: [{action: Restart, exitCodes: {operator: In, values: [42]}}]\n",
          INVALID(9, "web") "spec.containers[0].restartPolicyRules: Forbidden: not supported by podfs yet: "
                            "ContainerRestartRules (KEP-5307) is alpha in Kubernetes 1.34" },
        { HDR "  initContainers:\n  - name: init\n    image: busybox\n    volumeMounts: [{name: x, mountPath: /x}]\n"
              CTR,
          INVALID(9, "web") "spec.initContainers[0].volumeMounts[0].name: Not found: \"x\"" },
        { HDR "  restartPolicy: Sometimes\n  initContainers:\n  - {name: Init, image: busybox}\n" CTR,
          INVALID(8, "web") "[spec.initContainers[0].name: Invalid value: \"Init\": " LABEL_MSG ", "
                            "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: "
                            "\"Always\", \"OnFailure\", \"Never\"]" },
        { HDR "  initContainers: {name: init}\n" CTR,
          INVALID(6, "web") "spec.initContainers: Invalid value: {\"name\":\"init\"}: must be an array" },
        /* activeDeadlineSeconds. */
        { HDR "  activeDeadlineSeconds: 0\n" CTR,
          INVALID(6, "web") "spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, "
                            "inclusive" },
        { HDR "  activeDeadlineSeconds: -1\n" CTR,
          INVALID(6, "web") "spec.activeDeadlineSeconds: Invalid value: -1: must be between 1 and 2147483647, "
                            "inclusive" },
        { HDR "  activeDeadlineSeconds: 2147483648\n" CTR,
          INVALID(6, "web") "spec.activeDeadlineSeconds: Invalid value: 2147483648: must be between 1 and "
                            "2147483647, inclusive" },
        /* securityContext (spec_security_check.c), in ValidateSecurityContext's words */
        { HDR "  securityContext:\n    runAsUser: -1\n" CTR,
          INVALID(7, "web") "spec.securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, "
                            "inclusive" },
        { HDR "  securityContext:\n    supplementalGroups: [1, 4294967296]\n" CTR,
          INVALID(7, "web") "spec.securityContext.supplementalGroups[1]: Invalid value: 4294967296: must be between "
                            "0 and 2147483647, inclusive" },
        { POD "    securityContext: {privileged: true, allowPrivilegeEscalation: false}\n",
          INVALID(9, "web") "spec.containers[0].securityContext: Invalid value: {\"privileged\":true,"
                            "\"allowPrivilegeEscalation\":false}: cannot set `allowPrivilegeEscalation` to false "
                            "and `privileged` to true" },
        { POD "    securityContext: {capabilities: {add: [CAP_SYS_ADMIN]}, allowPrivilegeEscalation: false}\n",
          INVALID(9, "web") "spec.containers[0].securityContext: Invalid value: {\"capabilities\":{\"add\":"
                            "[\"CAP_SYS_ADMIN\"]},\"allowPrivilegeEscalation\":false}: cannot set "
                            "`allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN" },
        { POD "    securityContext:\n      seccompProfile: {type: RuntimeDefault, localhostProfile: x.json}\n",
          INVALID(10, "web") "spec.containers[0].securityContext.seccompProfile.localhostProfile: Invalid value: "
                             "\"x.json\": can only be set when seccomp type is Localhost" },
        { POD "    securityContext:\n      procMount: Unmasked\n",
          INVALID(10, "web") "spec.containers[0].securityContext.procMount: Forbidden: `hostUsers` must be false "
                             "to use `Unmasked`" },
        { HDR "  hostUsers: true\n" CTR "    securityContext:\n      procMount: Unmasked\n",
          INVALID(11, "web") "spec.containers[0].securityContext.procMount: Forbidden: `hostUsers` must be false "
                             "to use `Unmasked`" },
        { POD "    securityContext:\n      runAsUsr: 1\n",
          INVALID(10, "web") "unknown field \"spec.containers[0].securityContext.runAsUsr\"" },
        { HDR "  hostPID: true\n  shareProcessNamespace: true\n" CTR,
          INVALID(7, "web") "spec.securityContext.shareProcessNamespace: Invalid value: true: ShareProcessNamespace "
                            "and HostPID cannot both be enabled" },
        { "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  annotations:\n"
          "    container.apparmor.security.beta.kubernetes.io/app: foo\n"
          "    container.apparmor.security.beta.kubernetes.io/nope: unconfined\nspec:\n" CTR,
          INVALID(5, "web") "[metadata.annotations[container.apparmor.security.beta.kubernetes.io/app]: Invalid "
                            "value: \"foo\": invalid AppArmor profile name: \"foo\", "
                            "metadata.annotations[container.apparmor.security.beta.kubernetes.io/nope]: Invalid "
                            "value: \"nope\": container not found]" },
        { "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  annotations:\n"
          "    container.apparmor.security.beta.kubernetes.io/app: runtime/default\nspec:\n" CTR
          "    securityContext:\n      appArmorProfile: {type: Localhost, localhostProfile: p}\n",
          INVALID(12, "web") "spec.containers[0].securityContext.appArmorProfile.localhostProfile: Forbidden: "
                             "apparmor profile in annotation and field must match" },
        { HDR "  securityContext:\n    fsGroupChangePolicy: Never\n" CTR,
          INVALID(7, "web") "spec.securityContext.fsGroupChangePolicy: Unsupported value: \"Never\": supported "
                            "values: \"Always\", \"OnRootMismatch\"" },
        { "- a\n- b\n", "web.yaml: line 1: Pod \"\" is invalid: Invalid value: [\"a\",\"b\"]: must be an object (a Pod manifest)" },
        { "", "web.yaml: no Pod in the manifest (it is empty)" },
        { "---\n# nothing\n---\n", "web.yaml: no Pod in the manifest (it is empty)" },
};

static void test_bad_manifests(void)
{
        for (size_t i = 0; i < sizeof(bad_manifests) / sizeof(bad_manifests[0]); i++) {
                const struct bad *b = &bad_manifests[i];
                struct pfs_error err = { 0 };
                struct pod_spec **pods = NULL;
                size_t n = 0;
                char name[64];
                int r = pod_manifest_parse(b->yaml, strlen(b->yaml), "web.yaml", "default", NULL, &pods, &n, &err);

                snprintf(name, sizeof(name), "bad manifest %zu is rejected with EINVAL", i);
                tap_ok(r == -EINVAL && err.code == EINVAL && !pods, "%s", name);
                snprintf(name, sizeof(name), "bad manifest %zu: message", i);
                tap_is_str(err.msg, b->msg, name);
                pod_spec_free_array(pods, n);
        }
}

static struct pod_spec *parse_one(const char *yaml, const char *ns, const char *name)
{
        struct pfs_error err = { 0 };
        struct pod_spec **pods = NULL, *s;
        size_t n = 0;

        if (pod_manifest_parse(yaml, strlen(yaml), "t.yaml", ns, name, &pods, &n, &err) < 0) {
                printf("# unexpected error: %s\n", err.msg);
                return NULL;
        }
        s = pods[0];
        pods[0] = NULL;
        pod_spec_free_array(pods, n);
        return s;
}

static char *emit_json(const struct yval *v, bool pretty)
{
        struct pfs_buf b = { 0 };

        yval_emit_json(v, pretty, &b);
        return pfs_buf_steal(&b);
}

/* securityContext: shown as written (pod's always, {} when absent), the
 * container's values win over the pod's. */
static void test_security_context(void)
{
        static const char yaml[] = POD_SC_YAML;
        struct pod_spec *s = parse_one(yaml, "default", NULL);
        struct yval *y;
        char *json;

        if (!s) {
                tap_ok(false, "securityContext pod parses");
                return;
        }
        y = pod_spec_to_yval(s);
        json = emit_json(yval_map_get(y, "securityContext"), false);
        tap_is_str(json, "{\"runAsUser\":1000,\"runAsNonRoot\":true,\"supplementalGroups\":[5],"
                         "\"fsGroup\":2000,\"seccompProfile\":{\"type\":\"RuntimeDefault\"}}",
                   "pod.json: the pod's securityContext");
        free(json);
        json = emit_json(yval_map_get(yval_map_get(y, "containers")->list.items[0], "securityContext"), false);
        tap_is_str(json, "{\"capabilities\":{\"add\":[\"NET_ADMIN\"],\"drop\":[\"ALL\"]},\"runAsUser\":7,"
                         "\"readOnlyRootFilesystem\":true,\"allowPrivilegeEscalation\":false,"
                         "\"seccompProfile\":{\"type\":\"Unconfined\"}}",
                   "pod.json: the container's securityContext, in the API's field order");
        free(json);
        tap_ok(pod_effective_run_as_user(s, &s->containers[0]) == 7, "the container's runAsUser wins");
        tap_ok(pod_effective_run_as_non_root(s, &s->containers[0]) == 1, "runAsNonRoot comes from the pod");
        tap_is_str(pod_effective_seccomp(s, &s->containers[0])->type, "Unconfined", "the container's seccomp wins");
        tap_ok(pod_container_no_new_privs(&s->containers[0]) && pod_container_read_only_root(&s->containers[0]) &&
               !pod_container_privileged(&s->containers[0]), "no_new_privs, read-only root, not privileged");
        tap_ok(pod_capability_number("CAP_NET_ADMIN") == 12 && pod_capability_number("NET_ADMIN") == 12 &&
               pod_capability_number("ALL") == -2 && pod_capability_number("FOO") == -1, "capability names");
        yval_free(y);
        pod_spec_free(s);
}

/* What `kubectl run web --image=busybox --dry-run=client -o yaml` prints. */
static const char kubectl_run[] =
        "apiVersion: v1\n"
        "kind: Pod\n"
        "metadata:\n"
        "  creationTimestamp: null\n"
        "  labels:\n"
        "    run: web\n"
        "  name: web\n"
        "spec:\n"
        "  containers:\n"
        "  - image: busybox\n"
        "    name: web\n"
        "    resources: {}\n"
        "  dnsPolicy: ClusterFirst\n"
        "  restartPolicy: Always\n"
        "status: {}\n";

static const char kubectl_run_spec_json[] =
        "{\n"
        "  \"containers\": [\n"
        "    {\n"
        "      \"name\": \"web\",\n"
        "      \"image\": \"busybox\",\n"
        "      \"resources\": {},\n"
        "      \"terminationMessagePath\": \"/dev/termination-log\",\n"
        "      \"terminationMessagePolicy\": \"File\",\n"
        "      \"imagePullPolicy\": \"Always\"\n"
        "    }\n"
        "  ],\n"
        "  \"restartPolicy\": \"Always\",\n"
        "  \"terminationGracePeriodSeconds\": 30,\n"
        "  \"dnsPolicy\": \"ClusterFirst\",\n"
        "  \"securityContext\": {},\n"
        "  \"schedulerName\": \"default-scheduler\",\n"
        "  \"priority\": 0,\n"
        "  \"enableServiceLinks\": true,\n"
        "  \"preemptionPolicy\": \"PreemptLowerPriority\"\n"
        "}\n";

static void test_kubectl_run_defaults(void)
{
        struct pod_spec *s = parse_one(kubectl_run, "default", NULL);
        struct yval *y;
        char *json;

        tap_ok(s != NULL, "kubectl run --dry-run output is accepted");
        if (!s)
                return;
        tap_is_str(s->namespace, "default", "namespace taken from the directory");
        tap_is_int(s->n_labels, 1, "one label");
        tap_is_str(s->labels[0].value, "web", "label value");
        tap_is_int(s->restart_policy, POD_RESTART_ALWAYS, "restartPolicy Always");
        tap_is_int(s->termination_grace_period_seconds, 30, "grace 30");
        tap_is_str(s->containers[0].image_pull_policy, "Always", "no tag: imagePullPolicy Always");
        tap_is_str(s->containers[0].termination_message_path, "/dev/termination-log", "terminationMessagePath");
        tap_is_str(s->containers[0].termination_message_policy, "File", "terminationMessagePolicy");
        tap_ok(s->containers[0].working_dir == NULL && s->hostname == NULL, "no workingDir, no hostname");
        tap_is_str(s->source, kubectl_run, "source is the document");
        y = pod_spec_to_yval(s);
        json = emit_json(y, true);
        tap_is_str(json, kubectl_run_spec_json, "defaulted spec JSON");
        free(json);
        yval_free(y);
        pod_spec_free(s);
}

/* imagePullSecrets: a list of {name}; only name may be set (the API server). */
static void test_pull_secrets(void)
{
        struct pod_spec *s = parse_one(HDR "  imagePullSecrets: [{name: a}, {name: b}]\n  containers:\n"
                                       "  - name: c\n    image: busybox\n", "default", NULL);
        struct pfs_error err = { 0 };
        struct pod_spec **pods = NULL;
        const char *bad = HDR "  imagePullSecrets: [{name: a, key: x}]\n  containers:\n  - name: c\n    image: busybox\n";
        size_t n = 0;

        tap_ok(s && s->n_image_pull_secrets == 2 && !strcmp(s->image_pull_secrets[1], "b"), "imagePullSecrets decoded");
        pod_spec_free(s);
        tap_ok(pod_manifest_parse(bad, strlen(bad), "t.yaml", "default", NULL, &pods, &n, &err) == -EINVAL,
               "imagePullSecrets: another field than name is refused (%s)", err.msg);
        pod_spec_free_array(pods, n);
}

static void test_pull_policy(void)
{
        static const struct { const char *image, *policy; } cases[] = {
                { "busybox", "Always" },
                { "busybox:latest", "Always" },
                { "busybox:1.36", "IfNotPresent" },
                { "localhost:5000/busybox", "Always" },
                { "localhost:5000/busybox:1", "IfNotPresent" },
                { "busybox@sha256:0123", "IfNotPresent" },
                { "/srv/rootfs", "Always" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *yaml = xasprintf(HDR "  containers:\n  - name: a\n    image: \"%s\"\n", cases[i].image);
                struct pod_spec *s = parse_one(yaml, "default", NULL);
                char name[128];

                snprintf(name, sizeof(name), "imagePullPolicy default for %s", cases[i].image);
                tap_is_str(s ? s->containers[0].image_pull_policy : NULL, cases[i].policy, name);
                pod_spec_free(s);
                free(yaml);
        }
}

static const char full_pod[] =
        "apiVersion: v1\n"
        "kind: Pod\n"
        "metadata:\n"
        "  name: full\n"
        "  namespace: prod\n"
        "  labels: {app: full, app.kubernetes.io/name: x}\n"
        "  annotations: {note: \"hello: world\"}\n"
        "spec:\n"
        "  volumes:\n"
        "  - name: data\n"
        "    emptyDir: {medium: Memory, sizeLimit: 64Mi}\n"
        "  - name: host\n"
        "    hostPath: {path: /srv, type: DirectoryOrCreate}\n"
        "  - name: plain\n"
        "    hostPath: {path: /tmp}\n"
        "  containers:\n"
        "  - name: app\n"
        "    image: busybox:1.36\n"
        "    command: [sh, -c]\n"
        "    args: [\"echo $A\"]\n"
        "    workingDir: /tmp\n"
        "    env: [{name: A, value: \"1\"}, {name: EMPTY}]\n"
        "    ports: [{name: http, containerPort: 8080}, {containerPort: 53, protocol: UDP}]\n"
        "    volumeMounts:\n"
        "    - {name: data, mountPath: /data}\n"
        "    - {name: host, mountPath: /host, readOnly: true, subPath: sub/dir}\n"
        "    stdin: false\n"
        "    securityContext: {}\n"
        "  - name: side\n"
        "    image: busybox\n"
        "    imagePullPolicy: Never\n"
        "    terminationMessagePolicy: FallbackToLogsOnError\n"
        "  restartPolicy: OnFailure\n"
        "  terminationGracePeriodSeconds: 5\n"
        "  hostname: box\n"
        "  shareProcessNamespace: true\n"
        "  hostNetwork: true\n"
        "  dnsPolicy: ClusterFirstWithHostNet\n"
        "  enableServiceLinks: false\n"
        "  schedulerName: my-scheduler\n"
        "  priority: 0\n"
        "  preemptionPolicy: PreemptLowerPriority\n"
        "  hostUsers: true\n"
        "  hostPID: false\n"
        "status:\n"
        "  phase: Running\n";

static void test_full_pod(void)
{
        struct pod_spec *s = parse_one(full_pod, "prod", "full");
        const struct pod_container *c;

        tap_ok(s != NULL, "a pod using every supported field is accepted");
        if (!s)
                return;
        c = pod_spec_find_container(s, "app");
        tap_ok(c && c->n_command == 2 && c->n_args == 1, "command and args");
        tap_is_str(c ? c->env[1].value : NULL, "", "env value defaults to \"\"");
        tap_is_str(c ? c->ports[0].protocol : NULL, "TCP", "port protocol defaults to TCP");
        tap_is_str(c ? c->mounts[1].sub_path : NULL, "sub/dir", "subPath");
        tap_ok(c && c->mounts[1].read_only && !c->mounts[0].read_only, "readOnly");
        tap_is_str(s->volumes[0].size_limit, "64Mi", "sizeLimit");
        tap_is_str(s->volumes[2].host_path_type, "", "hostPath type defaults to \"\"");
        tap_is_int(s->restart_policy, POD_RESTART_ON_FAILURE, "restartPolicy OnFailure");
        tap_ok(s->share_process_namespace && s->host_network && !s->enable_service_links, "pod booleans");
        tap_ok(pod_spec_find_container(s, "nope") == NULL, "find_container of a missing name");
        tap_is_str(pod_restart_policy_name(s->restart_policy), "OnFailure", "restart policy name");
        pod_spec_free(s);
}

static void test_round_trip(void)
{
        struct pod_spec *s = parse_one(full_pod, "prod", NULL);
        struct yval *y = s ? pod_spec_to_yval(s) : NULL;
        char *json = y ? emit_json(y, true) : NULL, *compact = y ? emit_json(y, false) : NULL;
        struct ydoc *docs = NULL;
        size_t n = 0;
        struct pfs_error err = { 0 };

        tap_ok(json && yval_parse_stream(json, strlen(json), &docs, &n, &err) == 0 && n == 1,
               "pretty JSON of the spec parses back");
        tap_ok(n == 1 && yval_equal(docs[0].root, y), "and is equal");
        ydoc_free_array(docs, n);
        docs = NULL;
        n = 0;
        tap_ok(compact && yval_parse_stream(compact, strlen(compact), &docs, &n, &err) == 0 && n == 1 &&
               yval_equal(docs[0].root, y), "compact JSON parses back equal");
        ydoc_free_array(docs, n);
        free(json);
        free(compact);
        yval_free(y);
        pod_spec_free(s);
}

/* Every handler kind a container can use (sleep below; grpc is refused), init
 * containers and a deadline. */
static const char probes_pod[] =
        "apiVersion: v1\n"
        "kind: Pod\n"
        "metadata:\n"
        "  name: probes\n"
        "spec:\n"
        "  terminationGracePeriodSeconds: 20\n"
        "  activeDeadlineSeconds: 600\n"
        "  initContainers:\n"
        "  - name: setup\n"
        "    image: busybox:1.36\n"
        "    command: [sh, -c, \"echo init\"]\n"
        "  - name: migrate\n"
        "    image: busybox\n"
        "  containers:\n"
        "  - name: app\n"
        "    image: busybox:1.36\n"
        "    ports: [{name: http, containerPort: 8080}]\n"
        "    livenessProbe:\n"
        "      httpGet:\n"
        "        port: http\n"
        "        httpHeaders: [{name: X-Probe, value: live}]\n"
        "      initialDelaySeconds: 3\n"
        "      terminationGracePeriodSeconds: 5\n"
        "    readinessProbe:\n"
        "      tcpSocket: {port: 8080}\n"
        "      periodSeconds: 2\n"
        "      successThreshold: 2\n"
        "    startupProbe:\n"
        "      exec: {command: [cat, /tmp/ready]}\n"
        "      failureThreshold: 30\n"
        "    lifecycle:\n"
        "      postStart:\n"
        "        httpGet: {path: /started, port: 8080, host: 127.0.0.1, scheme: HTTP}\n"
        "      preStop:\n"
        "        exec: {command: [sh, -c, \"sleep 1\"]}\n";

static const char probes_pod_spec_json[] =
        "{\n"
        "  \"initContainers\": [\n"
        "    {\n"
        "      \"name\": \"setup\",\n"
        "      \"image\": \"busybox:1.36\",\n"
        "      \"command\": [\n"
        "        \"sh\",\n"
        "        \"-c\",\n"
        "        \"echo init\"\n"
        "      ],\n"
        "      \"resources\": {},\n"
        "      \"terminationMessagePath\": \"/dev/termination-log\",\n"
        "      \"terminationMessagePolicy\": \"File\",\n"
        "      \"imagePullPolicy\": \"IfNotPresent\"\n"
        "    },\n"
        "    {\n"
        "      \"name\": \"migrate\",\n"
        "      \"image\": \"busybox\",\n"
        "      \"resources\": {},\n"
        "      \"terminationMessagePath\": \"/dev/termination-log\",\n"
        "      \"terminationMessagePolicy\": \"File\",\n"
        "      \"imagePullPolicy\": \"Always\"\n"
        "    }\n"
        "  ],\n"
        "  \"containers\": [\n"
        "    {\n"
        "      \"name\": \"app\",\n"
        "      \"image\": \"busybox:1.36\",\n"
        "      \"ports\": [\n"
        "        {\n"
        "          \"name\": \"http\",\n"
        "          \"containerPort\": 8080,\n"
        "          \"protocol\": \"TCP\"\n"
        "        }\n"
        "      ],\n"
        "      \"resources\": {},\n"
        "      \"livenessProbe\": {\n"
        "        \"httpGet\": {\n"
        "          \"path\": \"/\",\n"
        "          \"port\": \"http\",\n"
        "          \"scheme\": \"HTTP\",\n"
        "          \"httpHeaders\": [\n"
        "            {\n"
        "              \"name\": \"X-Probe\",\n"
        "              \"value\": \"live\"\n"
        "            }\n"
        "          ]\n"
        "        },\n"
        "        \"initialDelaySeconds\": 3,\n"
        "        \"timeoutSeconds\": 1,\n"
        "        \"periodSeconds\": 10,\n"
        "        \"successThreshold\": 1,\n"
        "        \"failureThreshold\": 3,\n"
        "        \"terminationGracePeriodSeconds\": 5\n"
        "      },\n"
        "      \"readinessProbe\": {\n"
        "        \"tcpSocket\": {\n"
        "          \"port\": 8080\n"
        "        },\n"
        "        \"timeoutSeconds\": 1,\n"
        "        \"periodSeconds\": 2,\n"
        "        \"successThreshold\": 2,\n"
        "        \"failureThreshold\": 3\n"
        "      },\n"
        "      \"startupProbe\": {\n"
        "        \"exec\": {\n"
        "          \"command\": [\n"
        "            \"cat\",\n"
        "            \"/tmp/ready\"\n"
        "          ]\n"
        "        },\n"
        "        \"timeoutSeconds\": 1,\n"
        "        \"periodSeconds\": 10,\n"
        "        \"successThreshold\": 1,\n"
        "        \"failureThreshold\": 30\n"
        "      },\n"
        "      \"lifecycle\": {\n"
        "        \"postStart\": {\n"
        "          \"httpGet\": {\n"
        "            \"path\": \"/started\",\n"
        "            \"port\": 8080,\n"
        "            \"host\": \"127.0.0.1\",\n"
        "            \"scheme\": \"HTTP\"\n"
        "          }\n"
        "        },\n"
        "        \"preStop\": {\n"
        "          \"exec\": {\n"
        "            \"command\": [\n"
        "              \"sh\",\n"
        "              \"-c\",\n"
        "              \"sleep 1\"\n"
        "            ]\n"
        "          }\n"
        "        }\n"
        "      },\n"
        "      \"terminationMessagePath\": \"/dev/termination-log\",\n"
        "      \"terminationMessagePolicy\": \"File\",\n"
        "      \"imagePullPolicy\": \"IfNotPresent\"\n"
        "    }\n"
        "  ],\n"
        "  \"restartPolicy\": \"Always\",\n"
        "  \"terminationGracePeriodSeconds\": 20,\n"
        "  \"activeDeadlineSeconds\": 600,\n"
        "  \"dnsPolicy\": \"ClusterFirst\",\n"
        "  \"securityContext\": {},\n"
        "  \"schedulerName\": \"default-scheduler\",\n"
        "  \"priority\": 0,\n"
        "  \"enableServiceLinks\": true,\n"
        "  \"preemptionPolicy\": \"PreemptLowerPriority\"\n"
        "}\n";

static void test_probes_and_hooks(void)
{
        struct pod_spec *s = parse_one(probes_pod, "default", NULL);
        const struct pod_container *c = s ? pod_spec_find_container(s, "app") : NULL;
        struct yval *y;
        char *json;

        tap_ok(c != NULL, "a pod with probes, hooks and init containers is accepted");
        if (!c) {
                pod_spec_free(s);
                return;
        }
        tap_ok(c->liveness && c->liveness->h.kind == POD_HANDLER_HTTP_GET, "liveness: httpGet");
        tap_is_str(c->liveness->h.port_name, "http", "liveness port by name");
        tap_is_int(pod_handler_port(c, &c->liveness->h), 8080, "the port name resolves to containerPort");
        tap_is_str(c->liveness->h.path, "/", "httpGet path defaults to /");
        tap_is_str(c->liveness->h.scheme, "HTTP", "httpGet scheme defaults to HTTP");
        tap_ok(c->liveness->h.n_headers == 1 && !strcmp(c->liveness->h.headers[0].key, "X-Probe") &&
               !strcmp(c->liveness->h.headers[0].value, "live"), "httpHeaders");
        tap_ok(c->liveness->initial_delay_seconds == 3 && c->liveness->timeout_seconds == 1 &&
               c->liveness->period_seconds == 10 && c->liveness->success_threshold == 1 &&
               c->liveness->failure_threshold == 3, "probe defaults: timeout 1, period 10, success 1, failure 3");
        tap_is_int(c->liveness->termination_grace_period_seconds, 5, "the probe's own grace");
        tap_ok(c->readiness && c->readiness->h.kind == POD_HANDLER_TCP_SOCKET && !c->readiness->h.port_name &&
               pod_handler_port(c, &c->readiness->h) == 8080, "readiness: tcpSocket by number");
        tap_ok(c->readiness->period_seconds == 2 && c->readiness->success_threshold == 2,
               "readiness may need several successes");
        tap_is_int(c->readiness->termination_grace_period_seconds, -1, "no probe grace: -1");
        tap_ok(c->startup && c->startup->h.kind == POD_HANDLER_EXEC && c->startup->h.n_command == 2 &&
               !strcmp(c->startup->h.command[1], "/tmp/ready") && c->startup->failure_threshold == 30,
               "startup: exec");
        tap_ok(c->post_start && c->post_start->kind == POD_HANDLER_HTTP_GET &&
               !strcmp(c->post_start->scheme, "HTTP") && !strcmp(c->post_start->host, "127.0.0.1") &&
               !strcmp(c->post_start->path, "/started") && c->post_start->port == 8080, "postStart: httpGet");
        tap_ok(c->pre_stop && c->pre_stop->kind == POD_HANDLER_EXEC && c->pre_stop->n_command == 3, "preStop: exec");
        tap_ok(s->n_init_containers == 2 && !strcmp(s->init_containers[0].name, "setup") &&
               !strcmp(s->init_containers[1].name, "migrate"), "init containers in order");
        tap_is_str(s->init_containers[1].image_pull_policy, "Always", "init containers get container defaults");
        tap_is_int(s->active_deadline_seconds, 600, "activeDeadlineSeconds");
        y = pod_spec_to_yval(s);
        json = emit_json(y, true);
        tap_is_str(json, probes_pod_spec_json, "defaulted spec JSON with probes, hooks and init containers");
        free(json);
        yval_free(y);
        pod_spec_free(s);
}

static void test_sleep_hooks(void)
{
        static const char yaml[] = POD "    lifecycle:\n      postStart: {sleep: {seconds: 0}}\n"
                                   "      preStop: {sleep: {seconds: 30}}\n";
        static const char want[] =
                "{\"name\":\"app\",\"image\":\"busybox\",\"resources\":{},"
                "\"lifecycle\":{\"postStart\":{\"sleep\":{\"seconds\":0}},\"preStop\":{\"sleep\":{\"seconds\":30}}},"
                "\"terminationMessagePath\":\"/dev/termination-log\",\"terminationMessagePolicy\":\"File\","
                "\"imagePullPolicy\":\"Always\"}";
        struct pod_spec *s = parse_one(yaml, "default", NULL);
        const struct pod_container *c = s ? &s->containers[0] : NULL;
        struct yval *y = s ? pod_spec_to_yval(s) : NULL;
        const struct yval *ctrs = yval_map_get(y, "containers");
        char *json = ctrs ? emit_json(ctrs->list.items[0], false) : NULL;

        tap_ok(c != NULL, "sleep hooks are accepted (sleep 0 up to the grace)");
        tap_ok(c && c->pre_stop->kind == POD_HANDLER_SLEEP && c->pre_stop->seconds == 30 &&
               c->post_start->kind == POD_HANDLER_SLEEP && c->post_start->seconds == 0, "sleep seconds");
        tap_is_str(json, want, "sleep hooks as the API server shows them");
        free(json);
        yval_free(y);
        pod_spec_free(s);
}

/* stdin, stdinOnce, tty and lifecycle.stopSignal (with spec.os.name, as the
 * API server requires): accepted and shown in the Container type's order. */
static void test_stdio_fields(void)
{
        static const char yaml[] = HDR "  os: {name: linux}\n" CTR "    lifecycle:\n      stopSignal: SIGRTMIN+3\n"
                                   "    stdin: true\n    stdinOnce: true\n    tty: true\n";
        static const char want[] =
                "{\"name\":\"app\",\"image\":\"busybox\",\"resources\":{},"
                "\"lifecycle\":{\"stopSignal\":\"SIGRTMIN+3\"},"
                "\"terminationMessagePath\":\"/dev/termination-log\",\"terminationMessagePolicy\":\"File\","
                "\"imagePullPolicy\":\"Always\",\"stdin\":true,\"stdinOnce\":true,\"tty\":true}";
        struct pod_spec *s = parse_one(yaml, "default", NULL);
        const struct pod_container *c = s ? &s->containers[0] : NULL;
        struct yval *y = s ? pod_spec_to_yval(s) : NULL;
        const struct yval *ctrs = yval_map_get(y, "containers");
        char *json = ctrs ? emit_json(ctrs->list.items[0], false) : NULL;
        char *os = y ? emit_json(yval_map_get(y, "os"), false) : NULL;

        tap_ok(c && c->stdin_open && c->stdin_once && c->tty, "stdin, stdinOnce, tty decoded");
        tap_is_str(c ? c->stop_signal : NULL, "SIGRTMIN+3", "stopSignal decoded");
        tap_ok(pod_signal_number("SIGRTMIN+3") == 37 && pod_signal_number("SIGUSR1") == 10 &&
               pod_signal_number("USR1") == -1, "signal numbers as moby's map (SIGRTMIN = 34)");
        tap_is_str(json, want, "the container as the API server shows it");
        tap_is_str(os, "{\"name\":\"linux\"}", "spec.os shown");
        free(json);
        free(os);
        yval_free(y);
        pod_spec_free(s);
}

/* env valueFrom and envFrom: accepted, defaulted (fieldRef apiVersion v1,
 * divisor "0" when unset, canonical otherwise) and shown in the API's order. */
static void test_env_sources(void)
{
        static const char yaml[] = POD "    envFrom:\n    - {prefix: CFG_, configMapRef: {name: cfg}}\n"
                                   "    - secretRef: {name: sec, optional: true}\n"
                                   "    env:\n    - name: NAME\n      valueFrom: {fieldRef: {fieldPath: metadata.name}}\n"
                                   "    - name: MEM\n      valueFrom:\n        resourceFieldRef:\n"
                                   "          {resource: limits.memory, divisor: 1024Ki}\n"
                                   "    - name: CPU\n      valueFrom: {resourceFieldRef: {containerName: app, resource: requests.cpu}}\n"
                                   "    - name: K\n      valueFrom: {configMapKeyRef: {name: cfg, key: k, optional: false}}\n"
                                   "    - name: S\n      valueFrom: {secretKeyRef: {name: sec, key: pw}}\n"
                                   "    - name: \"my var.1\"\n      value: $(NAME)\n";
        static const char want[] =
                "{\"name\":\"app\",\"image\":\"busybox\",\"envFrom\":[{\"prefix\":\"CFG_\",\"configMapRef\":"
                "{\"name\":\"cfg\"}},{\"secretRef\":{\"name\":\"sec\",\"optional\":true}}],\"env\":["
                "{\"name\":\"NAME\",\"valueFrom\":{\"fieldRef\":{\"apiVersion\":\"v1\",\"fieldPath\":\"metadata.name\"}}},"
                "{\"name\":\"MEM\",\"valueFrom\":{\"resourceFieldRef\":{\"resource\":\"limits.memory\",\"divisor\":\"1Mi\"}}},"
                "{\"name\":\"CPU\",\"valueFrom\":{\"resourceFieldRef\":{\"containerName\":\"app\",\"resource\":"
                "\"requests.cpu\",\"divisor\":\"0\"}}},"
                "{\"name\":\"K\",\"valueFrom\":{\"configMapKeyRef\":{\"name\":\"cfg\",\"key\":\"k\",\"optional\":false}}},"
                "{\"name\":\"S\",\"valueFrom\":{\"secretKeyRef\":{\"name\":\"sec\",\"key\":\"pw\"}}},"
                "{\"name\":\"my var.1\",\"value\":\"$(NAME)\"}],"
                "\"resources\":{},\"terminationMessagePath\":\"/dev/termination-log\","
                "\"terminationMessagePolicy\":\"File\",\"imagePullPolicy\":\"Always\"}";
        struct pod_spec *s = parse_one(yaml, "default", NULL);
        const struct pod_container *c = s ? &s->containers[0] : NULL;
        struct yval *y = s ? pod_spec_to_yval(s) : NULL;
        const struct yval *ctrs = yval_map_get(y, "containers");
        char *json = ctrs ? emit_json(ctrs->list.items[0], false) : NULL;

        tap_ok(c && c->n_env == 6 && c->n_env_from == 2, "env sources are accepted");
        tap_ok(c && c->env[0].value_from && c->env[0].value_from->field_ref &&
               !strcmp(c->env[0].value_from->field_ref->api_version, "v1"), "fieldRef apiVersion defaults to v1");
        tap_ok(c && c->env_from[1].secret_ref && c->env_from[1].secret_ref->optional &&
               !c->env_from[0].config_map_ref->optional_set, "optional kept, and whether it was written");
        tap_is_str(json, want, "env sources as the API server shows them");
        free(json);
        yval_free(y);
        pod_spec_free(s);
}

/* cpu and memory limits/requests: kept as written, requests defaulted to the
 * limits, shown and compared; the QoS class follows. */
static void test_resources(void)
{
        static const char yaml[] = HDR "  initContainers:\n  - name: init\n    image: busybox\n"
                                   "    resources: {limits: {cpu: 250m}}\n" CTR
                                   "    resources:\n      limits: {memory: 64Mi, cpu: 1}\n"
                                   "      requests: {cpu: 500m}\n";
        static const char want[] = "{\"limits\":{\"cpu\":\"1\",\"memory\":\"64Mi\"},"
                                   "\"requests\":{\"cpu\":\"500m\",\"memory\":\"64Mi\"}}";
        struct pod_spec *s = parse_one(yaml, "default", NULL), *t = NULL;
        const struct pod_container *c = s ? &s->containers[0] : NULL;
        struct yval *y = s ? pod_spec_to_yval(s) : NULL;
        const struct yval *ctrs = yval_map_get(y, "containers");
        char *json = ctrs ? emit_json(yval_map_get(ctrs->list.items[0], "resources"), false) : NULL;

        tap_ok(c != NULL, "cpu and memory limits and requests are accepted");
        tap_ok(c && !strcmp(c->cpu_limit, "1") && !strcmp(c->cpu_request, "500m") &&
               !strcmp(c->memory_limit, "64Mi"), "quantities kept as written (an integer as its digits)");
        tap_is_str(c ? c->memory_request : NULL, "64Mi", "an unset request defaults to the limit");
        tap_is_str(s ? s->init_containers[0].cpu_request : NULL, "250m", "init containers too");
        tap_is_str(json, want, "resources as the API server shows them");
        t = parse_one(POD, "default", NULL);
        tap_ok(t && !pod_spec_equal(s, t), "pod_spec_equal sees resources");
        pod_spec_free(t);
        t = parse_one(yaml, "default", NULL);
        tap_ok(t && pod_spec_equal(s, t), "the same resources are equal");
        free(json);
        yval_free(y);
        pod_spec_free(t);
        pod_spec_free(s);
}

/* Quantities in thousandths (cpu quota), rounded up like MilliValue. */
static void test_quantity_milli(void)
{
        static const struct { const char *q; int64_t milli; } ok[] = {
                { "500m", 500 }, { "1", 1000 }, { "0.5", 500 }, { "1.5k", 1500000 }, { "1e3", 1000000 },
                { "100u", 1 }, { "0", 0 }, { "2Ki", 2048000 },
        };
        int64_t m = -1;

        for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
                m = -1;
                tap_ok(pod_quantity_milli(ok[i].q, &m) == 0 && m == ok[i].milli, "milli of %s is %lld", ok[i].q,
                       (long long)ok[i].milli);
        }
        tap_is_int(pod_quantity_milli("12XB", &m), -EINVAL, "not a quantity: -EINVAL");
}

static void test_handler_port(void)
{
        static const char yaml[] = POD "    ports: [{name: web, containerPort: 80}]\n"
                                   "    readinessProbe: {tcpSocket: {port: metrics}}\n";
        struct pod_spec *s = parse_one(yaml, "default", NULL);

        tap_ok(s != NULL, "a probe may name a port the container does not declare (as Kubernetes allows)");
        tap_is_int(s ? pod_handler_port(&s->containers[0], &s->containers[0].readiness->h) : 0, -1,
                   "an unknown port name resolves to -1");
        pod_spec_free(s);
}

static void test_find_any_container(void)
{
        struct pod_spec *s = parse_one(probes_pod, "default", NULL);
        bool is_init = false;
        const struct pod_container *c;

        if (!s) {
                tap_ok(false, "probes pod parses");
                return;
        }
        c = pod_spec_find_any_container(s, "migrate", &is_init);
        tap_ok(c == &s->init_containers[1] && is_init, "find_any_container finds an init container");
        c = pod_spec_find_any_container(s, "app", &is_init);
        tap_ok(c == &s->containers[0] && !is_init, "and an app container");
        tap_ok(pod_spec_find_any_container(s, "nope", NULL) == NULL, "and nothing else");
        tap_ok(pod_spec_find_container(s, "setup") == NULL, "find_container sees app containers only");
        pod_spec_free(s);
}

static void test_not_set(void)
{
        struct pod_spec *s = parse_one(POD "    lifecycle: {}\n", "default", NULL);
        const struct pod_container *c = s ? &s->containers[0] : NULL;

        tap_ok(c && !c->post_start && !c->pre_stop && !c->liveness && !c->readiness && !c->startup,
               "no hooks or probes: NULL (an empty lifecycle is accepted)");
        tap_ok(s && s->n_init_containers == 0 && !s->init_containers && s->active_deadline_seconds == -1,
               "no init containers, no deadline (-1)");
        pod_spec_free(s);
}

/* What the API server accepts and the kubelet or the runtime judges:
 * relative (Windows) paths, the default service account without a token. */
static void test_api_accepts(void)
{
        static const char *const ok[] = {
                HDR "  volumes:\n  - {name: h, hostPath: {path: 'C:\\etc\\foo'}}\n" CTR
                    "    volumeMounts: [{name: h, mountPath: 'C:\\etc\\foo'}]\n",
                HDR "  serviceAccountName: default\n  automountServiceAccountToken: false\n" CTR,
                HDR "  serviceAccount: default\n" CTR,
                /* RelaxedDNSSearchValidation (on by default since v1.33) */
                HDR "  dnsConfig:\n    searches: [_tcp.example.com, \".\", a_b.example., _x]\n" CTR,
                /* legacy IP fields (StrictIPCIDRValidation off): leading zeros */
                HDR "  hostAliases:\n  - {ip: 010.001.1.1, hostnames: [db]}\n" CTR,
                /* hostPort is checked per list: an init container's and an app container's may be the same */
                HDR "  initContainers:\n  - {name: i, image: busybox, ports: [{containerPort: 80, hostPort: 8080}]}\n"
                    CTR "    ports: [{containerPort: 80, hostPort: 8080}]\n",
                /* ValidatePodSpec does not look at schedulerName: any string */
                HDR "  schedulerName: \"My_Scheduler/2 \"\n" CTR,
        };

        for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
                struct pod_spec *s = parse_one(ok[i], "default", NULL);

                tap_ok(s != NULL, "accepted as the API server accepts it (%zu)", i);
                pod_spec_free(s);
        }
}

/* The defaulted spec, written back as a manifest, is the same pod. */
static void test_probes_round_trip(void)
{
        struct pod_spec *s = parse_one(probes_pod, "default", NULL), *back = NULL;
        struct yval *y = s ? pod_spec_to_yval(s) : NULL;
        char *json = y ? emit_json(y, false) : NULL;
        char *doc = json ? xasprintf("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"probes\"},"
                                     "\"spec\":%s}", json) : NULL;

        back = doc ? parse_one(doc, "default", NULL) : NULL;
        tap_ok(back != NULL, "the defaulted spec is accepted as a manifest");
        tap_ok(s && back && pod_spec_equal(s, back), "and is equal to the original");
        free(doc);
        free(json);
        yval_free(y);
        pod_spec_free(back);
        pod_spec_free(s);
}

/* pod_spec_equal sees every new field. */
static void test_probes_equal(void)
{
        static const struct { const char *from, *to, *what; } changes[] = {
                { "      periodSeconds: 2\n", "      periodSeconds: 3\n", "a probe period" },
                { "      initialDelaySeconds: 3\n", "      initialDelaySeconds: 4\n", "an initial delay" },
                { "      terminationGracePeriodSeconds: 5\n", "", "a probe's grace" },
                { "        port: http\n", "        port: 8080\n", "a port name for its number" },
                { "{name: X-Probe, value: live}", "{name: X-Probe, value: dead}", "a header value" },
                { "path: /started", "path: /begun", "a hook's path" },
                { "\"sleep 1\"", "\"sleep 2\"", "a hook's command" },
                { "  - name: migrate\n    image: busybox\n", "  - name: migrate\n    image: busybox:1\n",
                  "an init container's image" },
                { "  activeDeadlineSeconds: 600\n", "", "activeDeadlineSeconds" },
                { "tcpSocket: {port: 8080}", "tcpSocket: {port: 8080, host: localhost}", "a tcpSocket host" },
        };
        struct pod_spec *a = parse_one(probes_pod, "default", NULL);

        for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
                const char *at = strstr(probes_pod, changes[i].from);
                char *yaml;
                struct pod_spec *b;

                yaml = xasprintf("%.*s%s%s", (int)(at - probes_pod), probes_pod, changes[i].to,
                                 at + strlen(changes[i].from));
                b = parse_one(yaml, "default", NULL);
                tap_ok(a && b && !pod_spec_equal(a, b), "changing %s is a change", changes[i].what);
                pod_spec_free(b);
                free(yaml);
        }
        pod_spec_free(a);
}

static void check_conformance(const char *checker, const char *manifest, const char *ns, const char *what)
{
        struct pod_spec *s = parse_one(manifest, ns, NULL);
        struct yval *y = s ? pod_spec_to_yval(s) : NULL;
        char path[] = "/tmp/podfs-spec-XXXXXX";
        char *json = y ? emit_json(y, true) : NULL, *cmd;
        int fd, rc;

        if (!checker || !*checker || !json) {
                tap_ok(!!json, "%s conforms to the Kubernetes models # SKIP K8S_CONFORM not set", what);
                goto out;
        }
        fd = mkstemp(path);
        rc = fd >= 0 && write(fd, json, strlen(json)) == (ssize_t)strlen(json) ? 0 : -1;
        if (fd >= 0)
                close(fd);
        cmd = xasprintf("'%s' --kind PodSpec '%s'", checker, path);
        tap_ok(rc == 0 && system(cmd) == 0, "%s conforms to the Kubernetes models", what);
        unlink(path);
        free(cmd);
out:
        free(json);
        yval_free(y);
        pod_spec_free(s);
}

/* With K8S_CONFORM naming a checker of Kubernetes objects (field names and
 * types of the official client models), the defaulted spec is checked too.
 * (grpc and sleep are left out: older client models do not know them.) */
static void test_conformance(void)
{
        const char *checker = getenv("K8S_CONFORM");

        check_conformance(checker, full_pod, "prod", "spec");
        check_conformance(checker, probes_pod, "default", "spec with probes, hooks and init containers");
}

static void test_equal(void)
{
        static const char reformatted[] =
                "# the same pod, written differently\n"
                "kind: Pod\n"
                "apiVersion: v1\n"
                "spec: {containers: [{image: busybox, name: app, resources: {}, imagePullPolicy: Always}],"
                " restartPolicy: Always, terminationGracePeriodSeconds: 30}\n"
                "metadata: {labels: {b: \"2\", a: \"1\"}, name: web}\n";
        static const char base[] = HDR CTR;
        static const char labelled[] = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n"
                                       "  labels: {a: \"1\", b: \"2\"}\nspec:\n" CTR;
        static const char other_image[] = HDR "  containers:\n  - name: app\n    image: busybox:1\n";
        struct pod_spec *a = parse_one(labelled, "default", NULL), *b = parse_one(reformatted, "default", NULL);
        struct pod_spec *c = parse_one(base, "default", NULL), *d = parse_one(other_image, "default", NULL);

        tap_ok(a && b && pod_spec_equal(a, b), "reformatted manifest with defaults spelled out is equal");
        tap_ok(a && c && !pod_spec_equal(a, c), "a label change is a change");
        tap_ok(c && d && !pod_spec_equal(c, d), "an image change is a change");
        tap_ok(c && pod_spec_equal(c, c), "equal to itself");
        pod_spec_free(a);
        pod_spec_free(b);
        pod_spec_free(c);
        pod_spec_free(d);
}

static const char two_docs[] =
        "# first\n"
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c, image: busybox}]}\n"
        "---\n"
        "apiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec: {containers: [{name: c, image: busybox}]}\n"
        "...\n";

static void test_multi_doc(void)
{
        struct pfs_error err = { 0 };
        struct pod_spec **pods = NULL;
        size_t n = 0;
        char *bad;

        tap_ok(pod_manifest_parse(two_docs, strlen(two_docs), "m.yaml", "default", NULL, &pods, &n, &err) == 0 &&
               n == 2, "two documents give two pods");
        if (n == 2) {
                tap_is_str(pods[0]->name, "a", "first pod");
                tap_is_str(pods[1]->name, "b", "second pod");
                tap_ok(!strncmp(pods[0]->source, "# first\napiVersion", 18), "first source keeps its comment");
                tap_ok(!strncmp(pods[1]->source, "apiVersion: v1\nkind: Pod\nmetadata: {name: b}", 44),
                       "second source starts after the --- line");
        }
        pod_spec_free_array(pods, n);
        pods = NULL;
        n = 0;
        bad = xasprintf("%s---\napiVersion: v1\nkind: Pod\nmetadata: {name: c}\nspec: {containers: []}\n", two_docs);
        tap_ok(pod_manifest_parse(bad, strlen(bad), "m.yaml", "default", NULL, &pods, &n, &err) == -EINVAL &&
               !pods && n == 0, "one bad document rejects the whole stream");
        tap_is_str(err.msg, "m.yaml: line 16: Pod \"c\" is invalid: spec.containers: Required value",
                   "the bad document's message");
        free(bad);
        bad = xasprintf("%s---\napiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c, image: x}]}\n",
                        two_docs);
        tap_ok(pod_manifest_parse(bad, strlen(bad), "m.yaml", "default", NULL, &pods, &n, &err) == -EINVAL,
               "the same name twice is rejected");
        tap_is_str(err.msg, "m.yaml: line 15: Pod \"a\" is invalid: metadata.name: Duplicate value: \"a\": "
                            "the document at line 2 has the same name", "duplicate name message");
        free(bad);
}

static void test_hints(void)
{
        static const char no_name[] = "apiVersion: v1\nkind: Pod\nspec:\n" CTR;
        static const char prod[] = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: prod}\nspec:\n" CTR;
        struct pfs_error err = { 0 };
        struct pod_spec **pods = NULL, *s;
        size_t n = 0;

        s = parse_one(no_name, "dev", "web");
        tap_ok(s && !strcmp(s->name, "web") && !strcmp(s->namespace, "dev"), "name and namespace from the hints");
        pod_spec_free(s);
        tap_ok(pod_manifest_parse(no_name, strlen(no_name), "spec.yaml", "default", NULL, &pods, &n, &err) ==
               -EINVAL, "no name and no hint");
        tap_is_str(err.msg, "spec.yaml: line 1: Pod \"\" is invalid: metadata.name: Required value: "
                            "name or generateName is required", "missing name message");
        tap_ok(pod_manifest_parse(prod, strlen(prod), "spec.yaml", "default", NULL, &pods, &n, &err) == -EINVAL,
               "another namespace than the directory's");
        tap_is_str(err.msg, "spec.yaml: line 3: Pod \"web\" is invalid: metadata.namespace: Invalid value: "
                            "\"prod\": the namespace of the object does not match the namespace of the "
                            "directory it was written to (default)", "namespace mismatch message");
        tap_ok(pod_manifest_parse(prod, strlen(prod), "spec.yaml", "prod", "db", &pods, &n, &err) == -EINVAL,
               "another name than the pod directory's");
        tap_is_str(err.msg, "spec.yaml: line 3: Pod \"web\" is invalid: metadata.name: Invalid value: \"web\": "
                            "the name of the object does not match the name of the pod directory it was written "
                            "to (db)", "name mismatch message");
}

static void test_other_syntaxes(void)
{
        static const char json[] =
                "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Pod\",\n  \"metadata\": {\"name\": \"j\"},\n"
                "  \"spec\": {\"hostNetwork\": true, \"containers\": [{\"name\": \"a\", \"image\": \"busybox\","
                " \"ports\": [{\"containerPort\": 80, \"hostPort\": 80}]}]}\n}\n";
        static const char crlf[] = "apiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: c\r\nspec:\r\n"
                                   "  containers:\r\n  - name: a\r\n    image: busybox\r\n";
        struct pod_spec *s = parse_one(json, "default", NULL);
        struct yval *y = s ? pod_spec_to_yval(s) : NULL;
        const struct yval *ctrs = yval_map_get(y, "containers");
        const struct yval *port = ctrs ? yval_map_get(ctrs->list.items[0], "ports") : NULL;

        tap_ok(s != NULL, "a JSON manifest is accepted");
        tap_ok(port && yval_get_int(port->list.items[0], "hostPort", 0) == 80,
               "hostNetwork: hostPort defaults to containerPort");
        yval_free(y);
        pod_spec_free(s);
        s = parse_one(crlf, "default", NULL);
        tap_ok(s && !strcmp(s->containers[0].image, "busybox"), "CRLF line ends are accepted");
        pod_spec_free(s);
}

/* hostNetwork: an unset hostPort shows as containerPort (the API server's
 * defaulting, both lists); an init container's may differ from it. */
static void test_host_network_ports(void)
{
        static const char yaml[] = HDR "  hostNetwork: true\n  initContainers:\n"
                "  - {name: i, image: busybox, ports: [{containerPort: 80, hostPort: 8080}, {containerPort: 81}]}\n"
                CTR "    ports: [{containerPort: 90}]\n";
        struct pod_spec *s = parse_one(yaml, "default", NULL);
        struct yval *y = s ? pod_spec_to_yval(s) : NULL;
        const struct yval *init = yval_map_get(y, "initContainers"), *ctrs = yval_map_get(y, "containers");
        const struct yval *ip = init ? yval_map_get(init->list.items[0], "ports") : NULL;
        const struct yval *cp = ctrs ? yval_map_get(ctrs->list.items[0], "ports") : NULL;

        tap_ok(s != NULL, "hostNetwork: an init container's hostPort need not match its containerPort");
        tap_ok(ip && yval_get_int(ip->list.items[0], "hostPort", 0) == 8080, "... and is shown as written");
        tap_ok(ip && yval_get_int(ip->list.items[1], "hostPort", 0) == 81, "an init container's unset one defaults");
        tap_ok(cp && yval_get_int(cp->list.items[0], "hostPort", 0) == 90, "an app container's unset one defaults");
        yval_free(y);
        pod_spec_free(s);
}

static void test_many_errors(void)
{
        struct pfs_buf b = { 0 };
        struct pfs_error err = { 0 };
        struct pod_spec **pods = NULL;
        size_t n = 0;

        pfs_buf_puts(&b, HDR "  containers:\n");
        for (int i = 0; i < 40; i++)
                pfs_buf_printf(&b, "  - {name: Bad_%d, image: busybox}\n", i);
        tap_ok(pod_manifest_parse(b.data, b.len, "web.yaml", "default", NULL, &pods, &n, &err) == -EINVAL,
               "forty bad container names are rejected");
        tap_ok(strlen(err.msg) < sizeof(err.msg) - 1 && strstr(err.msg, " more]") &&
               !strncmp(err.msg, INVALID(7, "web") "[spec.containers[0].name: Invalid value: \"Bad_0\"", 80),
               "the message lists whole errors and says how many more");
        pfs_buf_free(&b);
}

static void test_too_big(void)
{
        size_t len = 1024 * 1024 + 1;
        char *big = xmalloc(len + 1);
        struct pfs_error err = { 0 };
        struct pod_spec **pods = NULL;
        size_t n = 0;

        memset(big, '#', len);
        memcpy(big, POD, strlen(POD));
        big[strlen(POD)] = '\n';
        big[len] = '\0';
        tap_ok(pod_manifest_parse(big, len, "big.yaml", "default", NULL, &pods, &n, &err) == -EFBIG && !pods,
               "a manifest over 1 MiB is refused with EFBIG");
        tap_is_str(err.msg, "big.yaml: input is larger than the limit of 1 MiB (1048576 bytes)", "EFBIG message");
        free(big);
}

static void test_names(void)
{
        tap_ok(pod_name_is_dns1123_label("web-1"), "web-1 is a label");
        tap_ok(!pod_name_is_dns1123_label("web.1"), "web.1 is not a label");
        tap_ok(!pod_name_is_dns1123_label("-web"), "-web is not a label");
        tap_ok(!pod_name_is_dns1123_label(""), "\"\" is not a label");
        tap_ok(pod_name_is_dns1123_subdomain("web.example"), "web.example is a subdomain");
        tap_ok(!pod_name_is_dns1123_subdomain(".."), ".. is not a subdomain");
        tap_ok(!pod_name_is_dns1123_subdomain("a/b"), "a/b is not a subdomain");
        tap_ok(!pod_name_is_dns1123_subdomain("a..b"), "a..b is not a subdomain");
        tap_ok(pod_name_dns1123_label_error("web") == NULL, "no label error for web");
        tap_is_str(pod_name_dns1123_label_error("Web"), LABEL_MSG, "label error for Web");
        tap_is_str(pod_name_dns1123_subdomain_error("a/b"), SUBDOMAIN_MSG, "subdomain error for a/b");
        tap_is_str(pod_name_dns1123_label_error("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
                   "must be no more than 63 characters", "label error for 64 characters");
}

/* Issue 8: a pod of many containers is refused by count, in field.TooMany's
 * words, and the largest allowed one is accepted; names are checked by index
 * (duplicates found at the right position, first occurrence wins). */
static int parse_n(int n_ctrs, int n_init, const char *extra, struct pod_spec ***pods, size_t *n,
                   struct pfs_error *err)
{
        struct pfs_buf b = { 0 };
        int r;

        pfs_buf_puts(&b, HDR);
        if (n_init)
                pfs_buf_puts(&b, "  initContainers:\n");
        for (int i = 0; i < n_init; i++)
                pfs_buf_printf(&b, "  - {name: i%d, image: busybox}\n", i);
        pfs_buf_puts(&b, "  containers:\n");
        for (int i = 0; i < n_ctrs; i++)
                pfs_buf_printf(&b, "  - {name: c%d, image: busybox}\n", i);
        pfs_buf_puts(&b, extra ? extra : "");
        r = pod_manifest_parse(b.data, b.len, "web.yaml", "default", NULL, pods, n, err);
        pfs_buf_free(&b);
        return r;
}

static void test_container_limit(void)
{
        struct pfs_error err = { 0 };
        struct pod_spec **pods = NULL;
        size_t n = 0;

        tap_ok(parse_n(POD_MAX_CONTAINERS, 0, NULL, &pods, &n, &err) == 0 && n == 1 &&
               pods[0]->n_containers == POD_MAX_CONTAINERS, "a pod of %d containers is accepted", POD_MAX_CONTAINERS);
        tap_ok(n == 1 && pod_spec_find_container(pods[0], "c249") == &pods[0]->containers[249] &&
               !pod_spec_find_container(pods[0], "c250"), "containers are found by name");
        pod_spec_free_array(pods, n);
        pods = NULL;
        tap_ok(parse_n(10000, 0, NULL, &pods, &n, &err) == -EINVAL && !pods, "10000 containers are refused");
        tap_is_str(err.msg, INVALID(6, "web") "spec.containers: Too many: 10000: must have at most 250 items",
                   "10000 containers: field.TooMany");
        tap_ok(parse_n(200, 60, NULL, &pods, &n, &err) == -EINVAL, "200 containers and 60 init containers are refused");
        tap_is_str(err.msg, INVALID(6, "web") "spec.initContainers: Too many: 60: must have at most 50 items",
                   "init containers count against the same limit");
        tap_ok(parse_n(3000, 0, "  - {name: c2999, image: busybox}\n", &pods, &n, &err) == -EINVAL &&
               strstr(err.msg, "Too many: 3001") && !strstr(err.msg, "Duplicate"),
               "past the limit, containers are not checked one by one");
        tap_ok(parse_n(100, 3, "  - {name: c42, image: busybox}\n  - {name: i1, image: busybox}\n", &pods, &n,
                       &err) == -EINVAL, "duplicate names among 100 containers are refused");
        /* as the API server: an init container that a container's name takes is the duplicate */
        tap_is_str(err.msg, INVALID(111, "web") "[spec.containers[100].name: Duplicate value: \"c42\", "
                   "spec.initContainers[1].name: Duplicate value: \"i1\"]",
                   "duplicates are reported at the later position");
}

static void test_pods_per_manifest(void)
{
        struct pfs_buf b = { 0 };
        struct pfs_error err = { 0 };
        struct pod_spec **pods = NULL;
        size_t n = 0;

        for (int i = 0; i < POD_MAX_PER_MANIFEST; i++)
                pfs_buf_printf(&b, "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p%d}\n"
                               "spec: {containers: [{name: c, image: busybox}]}\n", i);
        tap_ok(pod_manifest_parse(b.data, b.len, "m.yaml", "default", NULL, &pods, &n, &err) == 0 &&
               n == POD_MAX_PER_MANIFEST, "%d pods in one manifest are accepted", POD_MAX_PER_MANIFEST);
        pod_spec_free_array(pods, n);
        pods = NULL;
        pfs_buf_puts(&b, "---\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: last}\n"
                         "spec: {containers: [{name: c, image: busybox}]}\n");
        tap_ok(pod_manifest_parse(b.data, b.len, "m.yaml", "default", NULL, &pods, &n, &err) == -EINVAL && !pods,
               "one more is refused (empty documents do not count)");
        tap_is_str(err.msg, "m.yaml: Too many: 101 documents: must have at most 100 Pods in one manifest "
                   "(write the others as separate files)", "pods per manifest: message");
        pfs_buf_free(&b);
}

/* Issue 8: the API honours len; a 1-byte "\t" input read past its end (json_normalize's strspn). */
static void test_len_honoured(void)
{
        static const char *const inputs[] = { "\t", "{", " [\"\\ud83d", "{\"a\": \"\\ud83d\\ude0", POD };
        struct pfs_error err = { 0 };
        struct pod_spec **pods = NULL;
        size_t n = 0;

        for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
                size_t len = strlen(inputs[i]);
                char *exact = xmalloc(len);     /* no terminating NUL: ASan sees a read past it */
                int r;

                memcpy(exact, inputs[i], len);
                r = pod_manifest_parse(exact, len, "web.yaml", "default", NULL, &pods, &n, &err);
                tap_ok(i + 1 < sizeof(inputs) / sizeof(inputs[0]) ? r == -EINVAL : r == 0,
                       "input %zu (%zu bytes, not NUL-terminated) is parsed within its length", i, len);
                if (r == 0)
                        pod_spec_free_array(pods, n);
                pods = NULL;
                free(exact);
        }
}

/* The volume kinds with the API server's defaults, as pod.json shows them. */
static void test_volume_defaults(void)
{
        static const char yaml[] = HDR
                "  volumes:\n"
                "  - name: cm\n    configMap:\n      name: cfg\n      items: [{key: a, path: x/a, mode: 0600}]\n"
                "  - name: sec\n    secret: {secretName: s, defaultMode: 0400, optional: true}\n"
                "  - name: dw\n    downwardAPI:\n      items:\n"
                "      - {path: labels, fieldRef: {fieldPath: metadata.labels}}\n"
                "      - {path: cpu, resourceFieldRef: {containerName: app, resource: limits.cpu}}\n"
                "      - {path: mem, resourceFieldRef: {containerName: app, resource: limits.memory, divisor: 1Mi}, mode: 0444}\n"
                "  - name: pj\n    projected:\n      sources:\n"
                "      - configMap: {name: cfg, optional: false}\n      - secret: {name: s}\n"
                "      - downwardAPI: {items: [{path: n, fieldRef: {fieldPath: \"metadata.labels['app']\"}}]}\n"
                "  - name: claim\n    persistentVolumeClaim: {claimName: data}\n"
                "  - name: img\n    image: {reference: \"tools:1.0\"}\n"
                "  - name: img2\n    image: {reference: tools}\n"
                CTR "    env: [{name: SUB, value: s1}]\n"
                "    volumeMounts: [{name: claim, mountPath: /data, subPathExpr: $(SUB)}]\n";
        static const char want[] =
                "[{\"name\":\"cm\",\"configMap\":{\"name\":\"cfg\",\"items\":[{\"key\":\"a\",\"path\":\"x/a\",\"mode\":384}],"
                "\"defaultMode\":420}},"
                "{\"name\":\"sec\",\"secret\":{\"secretName\":\"s\",\"defaultMode\":256,\"optional\":true}},"
                "{\"name\":\"dw\",\"downwardAPI\":{\"items\":["
                "{\"path\":\"labels\",\"fieldRef\":{\"apiVersion\":\"v1\",\"fieldPath\":\"metadata.labels\"}},"
                "{\"path\":\"cpu\",\"resourceFieldRef\":{\"containerName\":\"app\",\"resource\":\"limits.cpu\",\"divisor\":\"0\"}},"
                "{\"path\":\"mem\",\"resourceFieldRef\":{\"containerName\":\"app\",\"resource\":\"limits.memory\",\"divisor\":\"1Mi\"},"
                "\"mode\":292}],\"defaultMode\":420}},"
                "{\"name\":\"pj\",\"projected\":{\"sources\":[{\"configMap\":{\"name\":\"cfg\",\"optional\":false}},"
                "{\"secret\":{\"name\":\"s\"}},{\"downwardAPI\":{\"items\":[{\"path\":\"n\",\"fieldRef\":"
                "{\"apiVersion\":\"v1\",\"fieldPath\":\"metadata.labels['app']\"}}]}}],\"defaultMode\":420}},"
                "{\"name\":\"claim\",\"persistentVolumeClaim\":{\"claimName\":\"data\"}},"
                "{\"name\":\"img\",\"image\":{\"reference\":\"tools:1.0\",\"pullPolicy\":\"IfNotPresent\"}},"
                "{\"name\":\"img2\",\"image\":{\"reference\":\"tools\",\"pullPolicy\":\"Always\"}}]";
        struct pod_spec *s = parse_one(yaml, "default", NULL), *again;
        struct yval *y;
        char *json, *json2;

        tap_ok(s != NULL, "every volume kind is accepted");
        if (!s)
                return;
        y = pod_spec_to_yval(s);
        json = emit_json(yval_map_get(y, "volumes"), false);
        tap_is_str(json, want, "volume defaults as the API server shows them");
        json2 = emit_json(yval_map_get(yval_map_get(yval_map_get(y, "containers")->list.items[0], "volumeMounts")
                                               ->list.items[0], "subPathExpr"), false);
        tap_is_str(json2, "\"$(SUB)\"", "subPathExpr kept");
        again = parse_one(yaml, "default", NULL);
        tap_ok(again && pod_spec_equal(s, again), "the same volumes are equal");
        free(json);
        free(json2);
        yval_free(y);
        pod_spec_free(s);
        pod_spec_free(again);
}

/* Sidecars and the scheduling fields: accepted, kept, shown in the spec;
 * the priority admission plugin with the built-in classes. */
static void test_sched_and_sidecars(void)
{
        static const char *const yaml = HDR
                "  priorityClassName: system-node-critical\n"
                "  nodeSelector: {disktype: ssd}\n"
                "  tolerations: [{key: dedicated, operator: Equal, value: gpu, effect: NoSchedule}]\n"
                "  affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: "
                "[{matchExpressions: [{key: disktype, operator: In, values: [ssd]}]}]}}}\n"
                "  topologySpreadConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway}]\n"
                "  schedulingGates: [{name: example.com/gate}]\n"
                "  resources: {requests: {cpu: 500m}, limits: {cpu: \"1\", memory: 256Mi}}\n"
                "  initContainers:\n  - {name: side, image: busybox, restartPolicy: Always,\n"
                "     readinessProbe: {exec: {command: [\"true\"]}}}\n" CTR;
        struct pod_spec *s = parse_one(yaml, "default", NULL);
        struct pfs_error err = { 0 };
        struct pod_spec **pods = NULL;
        struct pfs_buf b = { 0 };
        struct yval *y;
        size_t n = 0;
        int r;

        tap_ok(s != NULL, "sidecar and scheduling fields accepted");
        if (!s)
                return;
        tap_ok(pod_container_is_sidecar(&s->init_containers[0]), "restartPolicy Always: a sidecar");
        tap_is_int(s->priority, 2000001000, "system-node-critical: priority 2000001000");
        tap_ok(!s->node_name, "no nodeName (a gated pod cannot have one)");
        y = pod_spec_to_yval(s);
        yval_emit_json(y, false, &b);
        tap_ok(strstr(b.data, "\"nodeSelector\":{\"disktype\":\"ssd\"}") != NULL, "nodeSelector in the spec");
        tap_ok(strstr(b.data, "\"priorityClassName\":\"system-node-critical\",\"priority\":2000001000") != NULL,
               "priorityClassName and priority in the spec");
        tap_ok(strstr(b.data, "\"schedulingGates\":[{\"name\":\"example.com/gate\"}],\"resources\":{\"limits\":"
                              "{\"cpu\":\"1\",\"memory\":\"256Mi\"},\"requests\":{\"cpu\":\"500m\"}}") != NULL,
               "schedulingGates and pod-level resources");
        tap_ok(strstr(b.data, "\"restartPolicy\":\"Always\"}") != NULL || strstr(b.data, "\"restartPolicy\":\"Always\",") != NULL,
               "the sidecar's restartPolicy");
        pfs_buf_free(&b);
        yval_free(y);
        pod_spec_free(s);

        r = pod_manifest_parse(HDR "  priorityClassName: gold\n" CTR, strlen(HDR "  priorityClassName: gold\n" CTR),
                               "web.yaml", "default", NULL, &pods, &n, &err);
        tap_is_int(r, -EPERM, "an unknown PriorityClass is forbidden");
        tap_is_str(err.msg, "web.yaml: pods \"web\" is forbidden: no PriorityClass with name gold was found",
                   "priority admission's message");
        r = pod_manifest_parse(HDR "  priority: 5\n" CTR, strlen(HDR "  priority: 5\n" CTR), "web.yaml", "default",
                               NULL, &pods, &n, &err);
        tap_is_int(r, -EPERM, "priority without its class is forbidden");
        tap_is_str(err.msg, "web.yaml: pods \"web\" is forbidden: the integer value of priority (5) must not be "
                   "provided in pod spec; priority admission controller computed 0 from the given PriorityClass name",
                   "priority mismatch message");
}

/* Pod Security Standards: the admission's reasons and details (pss.c). */
static void pss_case(const char *extra_spec, const char *ctr_extra, enum pfs_pss_level l, const char *want,
                     const char *what)
{
        char *yaml = xasprintf(HDR "%s  containers:\n  - name: app\n    image: busybox\n%s", extra_spec, ctr_extra);
        struct pod_spec *s = parse_one(yaml, "default", NULL);
        char *got = s ? pfs_pss_check(s, l) : xstrdup("(parse failed)");

        tap_is_str(got ? got : "(allowed)", want ? want : "(allowed)", what);
        free(got);
        free(yaml);
        pod_spec_free(s);
}

static void test_pss(void)
{
        pss_case("", "", PFS_PSS_BASELINE, NULL, "baseline: a plain pod is allowed");
        pss_case("", "", PFS_PSS_RESTRICTED,
                 "violates PodSecurity \"restricted:latest\": allowPrivilegeEscalation != false (container \"app\" "
                 "must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "
                 "\"app\" must set securityContext.capabilities.drop=[\"ALL\"]), runAsNonRoot != true (pod or "
                 "container \"app\" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "
                 "\"app\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")",
                 "restricted: a plain pod, the upstream message");
        pss_case("  hostNetwork: true\n  hostPID: true\n  volumes:\n  - name: h\n    hostPath: {path: /tmp}\n",
                 "    ports:\n    - {containerPort: 80, hostPort: 80}\n    securityContext:\n"
                 "      privileged: true\n      capabilities: {add: [NET_ADMIN, CHOWN]}\n",
                 PFS_PSS_BASELINE,
                 "violates PodSecurity \"baseline:latest\": non-default capabilities (container \"app\" must not "
                 "include \"NET_ADMIN\" in securityContext.capabilities.add), host namespaces (hostNetwork=true, "
                 "hostPID=true), hostPath volumes (volume \"h\"), hostPort (container \"app\" uses hostPort 80), "
                 "privileged (container \"app\" must not set securityContext.privileged=true)",
                 "baseline: each check's reason and detail, in the order of the check IDs");
        pss_case("  hostNetwork: true\n", "    ports:\n    - {containerPort: 8080}\n", PFS_PSS_BASELINE,
                 "violates PodSecurity \"baseline:latest\": host namespaces (hostNetwork=true), hostPort (container "
                 "\"app\" uses hostPort 8080)", "baseline: hostNetwork's defaulted hostPort is a hostPort");
        pss_case("  securityContext:\n    runAsNonRoot: true\n    seccompProfile: {type: RuntimeDefault}\n",
                 "    securityContext:\n      allowPrivilegeEscalation: false\n      runAsUser: 0\n"
                 "      capabilities: {drop: [ALL], add: [NET_BIND_SERVICE, SYS_TIME]}\n",
                 PFS_PSS_RESTRICTED,
                 "violates PodSecurity \"restricted:latest\": unrestricted capabilities (container \"app\" must not "
                 "include \"SYS_TIME\" in securityContext.capabilities.add), runAsUser=0 (container \"app\" must not "
                 "set runAsUser=0)", "restricted: added capabilities and runAsUser=0");
        pss_case("  securityContext:\n    runAsNonRoot: true\n    seccompProfile: {type: RuntimeDefault}\n",
                 "    securityContext:\n      allowPrivilegeEscalation: false\n      capabilities: {drop: [ALL]}\n",
                 PFS_PSS_RESTRICTED, NULL, "restricted: the required fields");
        pss_case("  securityContext:\n    seccompProfile: {type: Unconfined}\n", "", PFS_PSS_BASELINE,
                 "violates PodSecurity \"baseline:latest\": seccompProfile (pod must not set "
                 "securityContext.seccompProfile.type to \"Unconfined\")", "baseline: seccomp Unconfined");
        pss_case("  securityContext:\n    runAsNonRoot: false\n    runAsUser: 0\n    seccompProfile: {type: RuntimeDefault}\n",
                 "    securityContext:\n      allowPrivilegeEscalation: false\n      runAsNonRoot: false\n"
                 "      runAsUser: 0\n      capabilities: {drop: [ALL]}\n",
                 PFS_PSS_RESTRICTED,
                 "violates PodSecurity \"restricted:latest\": runAsNonRoot != true (pod and container \"app\" must not "
                 "set securityContext.runAsNonRoot=false), runAsUser=0 (pod and container \"app\" must not set "
                 "runAsUser=0)", "restricted: pod and container setters joined with \"and\"");
        pss_case("  volumes:\n  - name: h\n    hostPath: {path: /tmp}\n", "    securityContext: {privileged: true}\n",
                 PFS_PSS_RESTRICTED,
                 "violates PodSecurity \"restricted:latest\": privileged (container \"app\" must not set "
                 "securityContext.privileged=true), allowPrivilegeEscalation != false (container \"app\" must set "
                 "securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container \"app\" must "
                 "set securityContext.capabilities.drop=[\"ALL\"]), restricted volume types (volume \"h\" uses "
                 "restricted volume type \"hostPath\"), runAsNonRoot != true (pod or container \"app\" must set "
                 "securityContext.runAsNonRoot=true), seccompProfile (pod or container \"app\" must set "
                 "securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")",
                 "restricted: the baseline checks first, restricted volume types instead of hostPath volumes");
        /* v1.34: no relaxation for user-namespaced pods (alpha gate UserNamespacesPodSecurityStandards off) */
        pss_case("  hostUsers: false\n", "    securityContext: {procMount: Unmasked, privileged: true}\n",
                 PFS_PSS_BASELINE,
                 "violates PodSecurity \"baseline:latest\": privileged (container \"app\" must not set "
                 "securityContext.privileged=true), procMount (container \"app\" must not set "
                 "securityContext.procMount to \"Unmasked\")", "baseline: procMount Unmasked, even with hostUsers: false");
        pss_case("  hostUsers: false\n  securityContext:\n    seccompProfile: {type: RuntimeDefault}\n",
                 "    securityContext:\n      allowPrivilegeEscalation: false\n      capabilities: {drop: [ALL]}\n",
                 PFS_PSS_RESTRICTED,
                 "violates PodSecurity \"restricted:latest\": runAsNonRoot != true (pod or container \"app\" must set "
                 "securityContext.runAsNonRoot=true)", "restricted: runAsNonRoot still required with hostUsers: false");
        tap_ok(pfs_pss_level_of("restricted") == PFS_PSS_RESTRICTED && pfs_pss_level_of("x") == -1, "levels");
}

/* The API server's AppArmor annotation <-> field sync at create. */
static void test_apparmor_sync(void)
{
        struct pod_spec *s = parse_one("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  annotations:\n"
                                       "    container.apparmor.security.beta.kubernetes.io/app: localhost/p1\nspec:\n"
                                       "  securityContext:\n    appArmorProfile: {type: RuntimeDefault}\n" CTR
                                       "  - name: two\n    image: busybox\n", "default", NULL);
        const char *type = NULL, *name = NULL;
        struct yval *y;
        char *json;

        if (!s) {
                tap_ok(false, "apparmor sync pod parses");
                return;
        }
        y = pod_spec_to_yval(s);
        json = emit_json(yval_map_get(yval_map_get(y, "containers")->list.items[0], "securityContext"), false);
        tap_is_str(json, "{\"appArmorProfile\":{\"type\":\"Localhost\",\"localhostProfile\":\"p1\"}}",
                   "AppArmor sync: the annotation becomes the container's field");
        free(json);
        tap_is_str(pod_apparmor_annotation(s, "two"), "runtime/default",
                   "AppArmor sync: the pod's field becomes the other container's annotation");
        tap_ok(pod_effective_apparmor(s, &s->containers[0], &type, &name) && !strcmp(type, "Localhost") &&
               !strcmp(name, "p1"), "AppArmor: the effective profile of the annotated container");
        yval_free(y);
        pod_spec_free(s);
}

/* A whole manifest at a policy version. */
static void pss_yaml_case(const char *yaml, enum pfs_pss_level l, const char *version, const char *want,
                          const char *what)
{
        struct pod_spec *s = parse_one(yaml, "default", NULL);
        char *got = s ? pfs_pss_check_at(s, l, version) : xstrdup("(parse failed)");

        tap_is_str(got ? got : "(allowed)", want ? want : "(allowed)", what);
        free(got);
        pod_spec_free(s);
}

static void pss_at(const char *extra_spec, const char *ctr_extra, enum pfs_pss_level l, const char *version,
                   const char *want, const char *what)
{
        char *yaml = xasprintf(HDR "%s  containers:\n  - name: app\n    image: busybox\n%s", extra_spec, ctr_extra);

        pss_yaml_case(yaml, l, version, want, what);
        free(yaml);
}

#define RESTRICTED_OK_POD "  securityContext:\n    runAsNonRoot: true\n    seccompProfile: {type: RuntimeDefault}\n"
#define RESTRICTED_OK_CTR "    securityContext:\n      allowPrivilegeEscalation: false\n      capabilities: {drop: [ALL]}\n"
#define APE_MSG "allowPrivilegeEscalation != false (container \"app\" must set " \
        "securityContext.allowPrivilegeEscalation=false)"
#define NONROOT_MSG "runAsNonRoot != true (pod or container \"app\" must set securityContext.runAsNonRoot=true)"
#define SECCOMP_MSG "seccompProfile (pod or container \"app\" must set securityContext.seccompProfile.type to " \
        "\"RuntimeDefault\" or \"Localhost\")"

/* enforce-version: each check from the policy version upstream gives it. */
static void test_pss_versions(void)
{
        tap_is_int(pfs_pss_version_minor("latest"), PFS_PSS_LATEST_MINOR, "version: latest");
        tap_is_int(pfs_pss_version_minor("v1.23"), 23, "version: v1.23");
        tap_is_int(pfs_pss_version_minor("v1.40"), PFS_PSS_LATEST_MINOR, "version: past the newest check");
        tap_ok(pfs_pss_version_minor("1.23") < 0 && pfs_pss_version_minor("v1.x") < 0 &&
               pfs_pss_version_minor("v1.023") < 0, "version: not one");
        pss_at("", "", PFS_PSS_RESTRICTED, "v1.23",
               "violates PodSecurity \"restricted:v1.23\": " APE_MSG ", unrestricted capabilities (container \"app\" "
               "must set securityContext.capabilities.drop=[\"ALL\"]), " NONROOT_MSG ", " SECCOMP_MSG,
               "restricted:v1.23: the version in the message");
        pss_at("", "", PFS_PSS_RESTRICTED, "v1.21",
               "violates PodSecurity \"restricted:v1.21\": " APE_MSG ", " NONROOT_MSG ", " SECCOMP_MSG,
               "restricted:v1.21: no capabilities_restricted before v1.22 (capabilities_baseline instead)");
        pss_at("", "    securityContext:\n      capabilities: {add: [NET_ADMIN]}\n", PFS_PSS_RESTRICTED, "v1.18",
               "violates PodSecurity \"restricted:v1.18\": non-default capabilities (container \"app\" must not "
               "include \"NET_ADMIN\" in securityContext.capabilities.add), " APE_MSG ", " NONROOT_MSG,
               "restricted:v1.18: no seccomp check before v1.19, the baseline capabilities");
        pss_at("", "", PFS_PSS_RESTRICTED, "v1.7", "violates PodSecurity \"restricted:v1.7\": " NONROOT_MSG,
               "restricted:v1.7: no allowPrivilegeEscalation check before v1.8");
        pss_at(RESTRICTED_OK_POD, RESTRICTED_OK_CTR "      runAsUser: 0\n", PFS_PSS_RESTRICTED, "v1.22", NULL,
               "restricted:v1.22: runAsUser=0 allowed (the check is from v1.23)");
        pss_at(RESTRICTED_OK_POD, RESTRICTED_OK_CTR "      runAsUser: 0\n", PFS_PSS_RESTRICTED, "v1.23",
               "violates PodSecurity \"restricted:v1.23\": runAsUser=0 (container \"app\" must not set runAsUser=0)",
               "restricted:v1.23: runAsUser=0 refused");
        pss_at("  securityContext:\n    seccompProfile: {type: Unconfined}\n", "", PFS_PSS_BASELINE, "v1.18", NULL,
               "baseline:v1.18: the seccomp fields are not checked");
        pss_at("  securityContext:\n    seccompProfile: {type: Unconfined}\n", "", PFS_PSS_BASELINE, "v1.19",
               "violates PodSecurity \"baseline:v1.19\": seccompProfile (pod must not set "
               "securityContext.seccompProfile.type to \"Unconfined\")", "baseline:v1.19: seccomp Unconfined refused");
}

#define SYSCTL(n) "  securityContext:\n    sysctls: [{name: " n ", value: \"1\"}]\n"

static void test_pss_version_lists(void)
{
        pss_at(SYSCTL("net.ipv4.ip_local_reserved_ports"), "", PFS_PSS_BASELINE, "v1.26",
               "violates PodSecurity \"baseline:v1.26\": forbidden sysctls (net.ipv4.ip_local_reserved_ports)",
               "sysctls: ip_local_reserved_ports is safe from v1.27 only");
        pss_at(SYSCTL("net.ipv4.ip_local_reserved_ports"), "", PFS_PSS_BASELINE, "v1.27", NULL,
               "sysctls: ip_local_reserved_ports at v1.27");
        pss_at(SYSCTL("net.ipv4.tcp_keepalive_time"), "", PFS_PSS_BASELINE, "v1.28",
               "violates PodSecurity \"baseline:v1.28\": forbidden sysctls (net.ipv4.tcp_keepalive_time)",
               "sysctls: tcp_keepalive_time from v1.29");
        pss_at(SYSCTL("net.ipv4.tcp_rmem"), "", PFS_PSS_BASELINE, "v1.31",
               "violates PodSecurity \"baseline:v1.31\": forbidden sysctls (net.ipv4.tcp_rmem)",
               "sysctls: tcp_rmem from v1.32");
        pss_at(SYSCTL("net.ipv4.tcp_rmem"), "", PFS_PSS_BASELINE, "latest", NULL, "sysctls: tcp_rmem at latest");
        pss_at("", "    readinessProbe:\n      httpGet: {host: 10.0.0.1, port: 80}\n", PFS_PSS_BASELINE, "v1.33", NULL,
               "probe hosts: not checked before v1.34");
        pss_at("", "    readinessProbe:\n      httpGet: {host: 10.0.0.1, port: 80}\n"
               "    livenessProbe:\n      tcpSocket: {host: 10.0.0.2, port: 80}\n", PFS_PSS_BASELINE, "latest",
               "violates PodSecurity \"baseline:latest\": probe or lifecycle host (container \"app\" uses probe or "
               "lifecycle hosts \"10.0.0.1\", \"10.0.0.2\")", "probe hosts: refused at v1.34 (latest)");
        pss_at("", "    securityContext:\n      seLinuxOptions: {type: container_engine_t}\n", PFS_PSS_BASELINE,
               "v1.30",
               "violates PodSecurity \"baseline:v1.30\": seLinuxOptions (container \"app\" set forbidden "
               "securityContext.seLinuxOptions: type \"container_engine_t\")",
               "seLinuxOptions: container_engine_t from v1.31 only");
        pss_at("", "    securityContext:\n      seLinuxOptions: {type: container_engine_t}\n", PFS_PSS_BASELINE,
               "v1.31", NULL, "seLinuxOptions: container_engine_t at v1.31");
        pss_at("  securityContext:\n    seLinuxOptions: {user: u, role: r, type: spc_t}\n", "", PFS_PSS_BASELINE,
               "latest",
               "violates PodSecurity \"baseline:latest\": seLinuxOptions (pod set forbidden "
               "securityContext.seLinuxOptions: type \"spc_t\"; user may not be set; role may not be set)",
               "seLinuxOptions: type, user and role");
}

static void test_pss_apparmor(void)
{
        pss_at("  securityContext:\n    appArmorProfile: {type: Unconfined}\n", "", PFS_PSS_BASELINE, "v1.0",
               "violates PodSecurity \"baseline:v1.0\": forbidden AppArmor profiles (pod and annotation must not "
               "set AppArmor profile type to \"Unconfined\", "
               "\"container.apparmor.security.beta.kubernetes.io/app=\\\"unconfined\\\"\")",
               "AppArmor: the pod's field at every version, and the annotation the API server syncs from it");
        pss_at("", "    securityContext:\n      appArmorProfile: {type: RuntimeDefault}\n", PFS_PSS_BASELINE,
               "latest", NULL, "AppArmor: RuntimeDefault allowed");
        pss_yaml_case("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  annotations:\n"
                      "    container.apparmor.security.beta.kubernetes.io/app: unconfined\nspec:\n" CTR,
                      PFS_PSS_BASELINE, "latest",
                      "violates PodSecurity \"baseline:latest\": forbidden AppArmor profiles (container \"app\" and "
                      "annotation must not set AppArmor profile type to \"Unconfined\", "
                      "\"container.apparmor.security.beta.kubernetes.io/app=\\\"unconfined\\\"\")",
                      "AppArmor: the annotation, synced into the field, both reported");
        pss_yaml_case("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  annotations:\n"
                      "    container.apparmor.security.beta.kubernetes.io/app: localhost/p\nspec:\n" CTR,
                      PFS_PSS_RESTRICTED, "latest",
                      "violates PodSecurity \"restricted:latest\": " APE_MSG ", unrestricted capabilities (container "
                      "\"app\" must set securityContext.capabilities.drop=[\"ALL\"]), " NONROOT_MSG ", " SECCOMP_MSG,
                      "AppArmor: a localhost/ annotation is allowed");
}

/* Quantities compare by value: another spelling of one quantity is no change. */
static void test_quantity_equal(void)
{
        static const char fmt[] =
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: q\nspec:\n  containers:\n  - name: c\n"
                "    image: busybox\n    resources:\n      limits: {cpu: %s, memory: %s}\n"
                "      requests: {cpu: %s}\n  volumes:\n  - name: v\n    emptyDir: {sizeLimit: %s}\n";
        static const char *const same[][4] = {
                { "\"1000m\"", "1Gi", "100m", "1Gi" },
                { "1", "\"1073741824\"", "\"0.1\"", "1024Mi" },
        };
        static const char *const other[][4] = {
                { "\"1001m\"", "1Gi", "100m", "1Gi" },
                { "1", "1G", "100m", "1Gi" },
                { "1", "1Gi", "100m", "1G" },
        };
        char *y = xasprintf(fmt, "1", "1Gi", "100m", "1Gi");
        struct pod_spec *a = parse_one(y, "default", NULL), *b;

        free(y);
        for (size_t i = 0; i < 2; i++) {
                y = xasprintf(fmt, same[i][0], same[i][1], same[i][2], same[i][3]);
                b = parse_one(y, "default", NULL);
                tap_ok(a && b && pod_spec_equal(a, b), "quantities: %s %s %s %s is the same", same[i][0],
                       same[i][1], same[i][2], same[i][3]);
                pod_spec_free(b);
                free(y);
        }
        for (size_t i = 0; i < 3; i++) {
                y = xasprintf(fmt, other[i][0], other[i][1], other[i][2], other[i][3]);
                b = parse_one(y, "default", NULL);
                tap_ok(a && b && !pod_spec_equal(a, b), "quantities: %s %s %s %s is a change", other[i][0],
                       other[i][1], other[i][2], other[i][3]);
                pod_spec_free(b);
                free(y);
        }
        pod_spec_free(a);
}

/* activeDeadlineSeconds may be set or lowered in place, never raised or removed. */
static void test_deadline_update(void)
{
        static const char fmt[] = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: d\nspec:\n%s  containers:\n"
                                  "  - {name: c, image: busybox, command: [%s]}\n";
        static const struct { const char *from, *to, *why; } cases[] = {
                { "  activeDeadlineSeconds: 600\n", "  activeDeadlineSeconds: 2\n", NULL },
                { "", "  activeDeadlineSeconds: 60\n", NULL },
                { "  activeDeadlineSeconds: 60\n", "  activeDeadlineSeconds: 60\n", NULL },
                { "  activeDeadlineSeconds: 60\n", "  activeDeadlineSeconds: 61\n",
                  "must be less than or equal to previous value" },
                { "  activeDeadlineSeconds: 60\n", "", "must not update from a positive integer to nil value" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *ya = xasprintf(fmt, cases[i].from, "sh"), *yb = xasprintf(fmt, cases[i].to, "sh");
                char *yc = xasprintf(fmt, cases[i].to, "ash");
                struct pod_spec *a = parse_one(ya, "default", NULL), *b = parse_one(yb, "default", NULL);
                struct pod_spec *c = parse_one(yc, "default", NULL);

                tap_ok(a && b && pod_spec_same_but_updatable(a, b), "deadline case %zu: updatable", i);
                tap_ok(a && c && !pod_spec_same_but_updatable(a, c), "deadline case %zu: a command change is not", i);
                char name[64];

                snprintf(name, sizeof(name), "deadline case %zu: the API server's word", i);
                tap_is_str(a && b ? pod_spec_deadline_update_error(a, b) : "?", cases[i].why, name);
                tap_ok(a && b && (strcmp(cases[i].from, cases[i].to) == 0) == pod_spec_same_but_metadata(a, b),
                       "deadline case %zu: a changed deadline is more than metadata", i);
                pod_spec_free(a);
                pod_spec_free(b);
                pod_spec_free(c);
                free(ya);
                free(yb);
                free(yc);
        }
}

/* hostUsers: false is a pod of its own user namespace; Unmasked /proc is then allowed. */
static void test_host_users(void)
{
        struct pod_spec *s = parse_one(HDR "  hostUsers: false\n" CTR "    securityContext: {procMount: Unmasked}\n",
                                       "default", "web");
        struct yval *y;
        struct pfs_buf b = { 0 };

        tap_ok(s && s->userns && s->host_users_set, "hostUsers: false gives the pod a user namespace");
        if (!s)
                return;
        y = pod_spec_to_yval(s);
        yval_emit_json(y, false, &b);
        tap_ok(b.data && strstr(b.data, "\"hostUsers\":false"), "pod.json shows spec.hostUsers false");
        yval_free(y);
        pfs_buf_free(&b);
        pod_spec_free(s);
        s = parse_one(POD, "default", "web");
        tap_ok(s && !s->userns && !s->host_users_set, "without hostUsers: the node's user namespace");
        pod_spec_free(s);
}

int main(void)
{
        test_deadline_update();
        test_quantity_equal();
        test_volume_defaults();
        test_bad_manifests();
        test_kubectl_run_defaults();
        test_pull_policy();
        test_pull_secrets();
        test_full_pod();
        test_host_users();
        test_round_trip();
        test_probes_and_hooks();
        test_sleep_hooks();
        test_stdio_fields();
        test_resources();
        test_env_sources();
        test_quantity_milli();
        test_handler_port();
        test_find_any_container();
        test_not_set();
        test_api_accepts();
        test_probes_round_trip();
        test_probes_equal();
        test_conformance();
        test_equal();
        test_multi_doc();
        test_hints();
        test_other_syntaxes();
        test_host_network_ports();
        test_many_errors();
        test_too_big();
        test_names();
        test_container_limit();
        test_pods_per_manifest();
        test_len_honoured();
        test_sched_and_sidecars();
        test_security_context();
        test_pss();
        test_pss_versions();
        test_pss_version_lists();
        test_pss_apparmor();
        test_apparmor_sync();
        return tap_done();
}
