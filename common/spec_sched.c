/* The scheduling fields of a Pod: nodeSelector, nodeName, affinity,
 * tolerations, topologySpreadConstraints, schedulingGates, priorityClassName,
 * priority, preemptionPolicy. Checked as the API server's ValidatePodSpec
 * does (its words), then kept as written (pod.json shows them); the priority
 * admission plugin knows the built-in classes only. */
#include <errno.h>
#include <stdlib.h>
#include "pfs/yval.h"
#include "spec_internal.h"

#define IN_NOTIN "must be specified when `operator` is 'In' or 'NotIn'"
#define EXISTS "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"

/* v has type t, else a type error (fatal, as decoding's). */
static bool want(struct spec_errs *e, const struct yval *v, const char *p, enum yval_type t, const char *what)
{
        _cleanup_free_ char *r = NULL;

        if (v && v->type == t)
                return true;
        if (!v || v->type == YVAL_NULL)
                return false;
        r = spec_value_repr(v);
        spec_errs_add(e, p, "Invalid value: %s: must be %s", r, what);
        e->n_fatal++;
        return false;
}

static const struct yval *member(struct spec_errs *e, const struct yval *map, const char *key, const char *p,
                                 enum yval_type t)
{
        static const char *const what[] = {
                [YVAL_STRING] = "a string", [YVAL_INT] = "an integer",
                [YVAL_MAP] = "an object", [YVAL_LIST] = "an array",
        };
        const struct yval *v = yval_map_get(map, key);
        _cleanup_free_ char *kp = spec_path_key(p, key);

        return want(e, v, kp, t, what[t]) ? v : NULL;
}

static const char *str_member(struct spec_errs *e, const struct yval *map, const char *key, const char *p)
{
        const struct yval *v = member(e, map, key, p, YVAL_STRING);

        return v ? v->str.s : NULL;
}

static void known(struct spec_errs *e, const struct yval *map, const char *p, const char *const *names, size_t n)
{
        spec_check_known(e, map, p, names, n);
}
#define KNOWN(e, m, p, ...)                                                                      \
        do {                                                                                     \
                static const char *const k_[] = { __VA_ARGS__ };                                 \
                known(e, m, p, k_, ARRAY_SIZE(k_));                                              \
        } while (0)

/* Each item of the list at key, with its path. */
#define EACH(e, map, key, p, item, ip, ...)                                                      \
        do {                                                                                     \
                const struct yval *l_ = member(e, map, key, p, YVAL_LIST);                        \
                _cleanup_free_ char *lp_ = spec_path_key(p, key);                                 \
                for (size_t i_ = 0; l_ && i_ < l_->list.n; i_++) {                                \
                        const struct yval *item = l_->list.items[i_];                                 \
                        _cleanup_free_ char *ip = spec_path_idx(lp_, i_);                         \
                        if (want(e, item, ip, YVAL_MAP, "an object"))                             \
                                __VA_ARGS__                                                       \
                }                                                                                 \
        } while (0)

static size_t n_values(struct spec_errs *e, const struct yval *req, const char *p)
{
        const struct yval *l = member(e, req, "values", p, YVAL_LIST);
        _cleanup_free_ char *lp = spec_path_key(p, "values");

        for (size_t i = 0; l && i < l->list.n; i++) {
                _cleanup_free_ char *vp = spec_path_idx(lp, i);

                want(e, l->list.items[i], vp, YVAL_STRING, "a string");
        }
        return l ? l->list.n : 0;
}

/* ---- selectors ---- */

/* A node selector requirement (matchExpressions; matchFields: metadata.name only). */
static void check_node_req(struct spec_errs *e, const struct yval *r, const char *p, bool fields)
{
        const char *key, *op;
        size_t n;

        KNOWN(e, r, p, "key", "operator", "values");
        key = str_member(e, r, "key", p);
        op = str_member(e, r, "operator", p);
        n = n_values(e, r, p);
        _cleanup_free_ char *kp = spec_path_key(p, "key"), *op_p = spec_path_key(p, "operator"),
                            *vp = spec_path_key(p, "values");
        if (!op || (strcmp(op, "In") && strcmp(op, "NotIn") && (fields || (strcmp(op, "Exists") &&
            strcmp(op, "DoesNotExist") && strcmp(op, "Gt") && strcmp(op, "Lt"))))) {
                /* matchFields: In and NotIn only */
                spec_err_invalid_str(e, op_p, op ? op : "", "not a valid selector operator");
        } else if (fields) {
                if (n != 1)
                        spec_err_required(e, vp, "must be only one value when `operator` is 'In' or 'NotIn' for node field selector");
        } else if (!strcmp(op, "In") || !strcmp(op, "NotIn")) {
                if (n == 0)
                        spec_err_required(e, vp, IN_NOTIN);
        } else if (!strcmp(op, "Exists") || !strcmp(op, "DoesNotExist")) {
                if (n > 0)
                        spec_err_forbidden(e, vp, EXISTS);
        } else if (n != 1) {
                spec_err_required(e, vp, "must be specified single value when `operator` is 'Lt' or 'Gt'");
        }
        if (fields && key && strcmp(key, "metadata.name"))
                spec_err_invalid_str(e, kp, key, "not a valid field selector key");
        else if (!fields)
                spec_validate_qualified_name(e, kp, key ? key : "");
}

static void check_node_term(struct spec_errs *e, const struct yval *t, const char *p)
{
        KNOWN(e, t, p, "matchExpressions", "matchFields");
        EACH(e, t, "matchExpressions", p, r, rp, { check_node_req(e, r, rp, false); });
        EACH(e, t, "matchFields", p, r, rp, { check_node_req(e, r, rp, true); });
}

static void check_label_selector(struct spec_errs *e, const struct yval *sel, const char *p)
{
        const struct yval *ml;

        KNOWN(e, sel, p, "matchLabels", "matchExpressions");
        ml = member(e, sel, "matchLabels", p, YVAL_MAP);
        for (size_t i = 0; ml && i < ml->map.n; i++) {
                _cleanup_free_ char *mp = spec_path_key(p, "matchLabels");

                spec_validate_qualified_name(e, mp, ml->map.m[i].key);
                if (want(e, ml->map.m[i].val, mp, YVAL_STRING, "a string"))
                        spec_validate_label_value(e, mp, ml->map.m[i].val->str.s);
        }
        EACH(e, sel, "matchExpressions", p, r, rp, {
                const char *op, *key;
                size_t n;
                _cleanup_free_ char *op_p = spec_path_key(rp, "operator"), *vp = spec_path_key(rp, "values"),
                                    *kp = spec_path_key(rp, "key");

                KNOWN(e, r, rp, "key", "operator", "values");
                key = str_member(e, r, "key", rp);
                op = str_member(e, r, "operator", rp);
                n = n_values(e, r, rp);
                if (op && (!strcmp(op, "In") || !strcmp(op, "NotIn"))) {
                        if (n == 0)
                                spec_err_required(e, vp, IN_NOTIN);
                } else if (op && (!strcmp(op, "Exists") || !strcmp(op, "DoesNotExist"))) {
                        if (n > 0)
                                spec_err_forbidden(e, vp, EXISTS);
                } else {
                        spec_err_invalid_str(e, op_p, op ? op : "", "not a valid selector operator");
                }
                spec_validate_qualified_name(e, kp, key ? key : "");
        });
}

static void check_weight(struct spec_errs *e, const struct yval *item, const char *p)
{
        const struct yval *w = member(e, item, "weight", p, YVAL_INT);
        _cleanup_free_ char *wp = spec_path_key(p, "weight");

        if (!yval_map_get(item, "weight") || (w && (w->i < 1 || w->i > 100)))
                spec_err_invalid_int(e, wp, w ? (long long)w->i : 0, "must be in the range 1-100");
}

static void check_pod_term(struct spec_errs *e, const struct yval *t, const char *p)
{
        const struct yval *sel;
        const char *tk;
        _cleanup_free_ char *tp = spec_path_key(p, "topologyKey");

        KNOWN(e, t, p, "labelSelector", "namespaceSelector", "namespaces", "topologyKey", "matchLabelKeys",
              "mismatchLabelKeys");
        if ((sel = member(e, t, "labelSelector", p, YVAL_MAP))) {
                _cleanup_free_ char *sp = spec_path_key(p, "labelSelector");

                check_label_selector(e, sel, sp);
        }
        if ((sel = member(e, t, "namespaceSelector", p, YVAL_MAP))) {
                _cleanup_free_ char *sp = spec_path_key(p, "namespaceSelector");

                check_label_selector(e, sel, sp);
        }
        member(e, t, "namespaces", p, YVAL_LIST);
        member(e, t, "matchLabelKeys", p, YVAL_LIST);
        member(e, t, "mismatchLabelKeys", p, YVAL_LIST);
        tk = str_member(e, t, "topologyKey", p);
        if (!tk || !*tk)
                spec_err_required(e, tp, "can not be empty");
        spec_validate_qualified_name(e, tp, tk ? tk : "");
}

/* ---- affinity ---- */

#define REQ "requiredDuringSchedulingIgnoredDuringExecution"
#define PREF "preferredDuringSchedulingIgnoredDuringExecution"

static void check_node_affinity(struct spec_errs *e, const struct yval *na, const char *p)
{
        const struct yval *req;

        KNOWN(e, na, p, REQ, PREF);
        if ((req = member(e, na, REQ, p, YVAL_MAP))) {
                _cleanup_free_ char *rp = spec_path_key(p, REQ), *tp = spec_path_key(rp, "nodeSelectorTerms");
                const struct yval *terms;

                KNOWN(e, req, rp, "nodeSelectorTerms");
                terms = member(e, req, "nodeSelectorTerms", rp, YVAL_LIST);
                if (!terms || terms->list.n == 0)
                        spec_err_required(e, tp, "must have at least one node selector term");
                EACH(e, req, "nodeSelectorTerms", rp, t, ip, { check_node_term(e, t, ip); });
        }
        EACH(e, na, PREF, p, item, ip, {
                const struct yval *pref;
                _cleanup_free_ char *pp = spec_path_key(ip, "preference");

                KNOWN(e, item, ip, "weight", "preference");
                check_weight(e, item, ip);
                if ((pref = member(e, item, "preference", ip, YVAL_MAP)))
                        check_node_term(e, pref, pp);
        });
}

static void check_pod_affinity(struct spec_errs *e, const struct yval *pa, const char *p)
{
        KNOWN(e, pa, p, REQ, PREF);
        EACH(e, pa, REQ, p, t, ip, { check_pod_term(e, t, ip); });
        EACH(e, pa, PREF, p, item, ip, {
                const struct yval *t;
                _cleanup_free_ char *tp = spec_path_key(ip, "podAffinityTerm");

                KNOWN(e, item, ip, "weight", "podAffinityTerm");
                check_weight(e, item, ip);
                if ((t = member(e, item, "podAffinityTerm", ip, YVAL_MAP)))
                        check_pod_term(e, t, tp);
                else
                        spec_err_required(e, tp, NULL);
        });
}

static void check_affinity(struct spec_errs *e, const struct yval *a)
{
        const char *p = "spec.affinity";
        const struct yval *v;

        KNOWN(e, a, p, "nodeAffinity", "podAffinity", "podAntiAffinity");
        if ((v = member(e, a, "nodeAffinity", p, YVAL_MAP)))
                check_node_affinity(e, v, "spec.affinity.nodeAffinity");
        if ((v = member(e, a, "podAffinity", p, YVAL_MAP)))
                check_pod_affinity(e, v, "spec.affinity.podAffinity");
        if ((v = member(e, a, "podAntiAffinity", p, YVAL_MAP)))
                check_pod_affinity(e, v, "spec.affinity.podAntiAffinity");
}

/* ---- tolerations (validateTolerations) ---- */

static void check_toleration(struct spec_errs *e, const struct yval *t, const char *p)
{
        static const char *const ops[] = { "Equal", "Exists" };
        static const char *const effects[] = { "NoSchedule", "PreferNoSchedule", "NoExecute" };
        const char *key, *op, *val, *eff;
        const struct yval *secs;
        _cleanup_free_ char *kp = spec_path_key(p, "key"), *op_p = spec_path_key(p, "operator"),
                            *vp = spec_path_key(p, "value"), *ep = spec_path_key(p, "effect");

        KNOWN(e, t, p, "key", "operator", "value", "effect", "tolerationSeconds");
        key = str_member(e, t, "key", p);
        op = str_member(e, t, "operator", p);
        val = str_member(e, t, "value", p);
        eff = str_member(e, t, "effect", p);
        secs = member(e, t, "tolerationSeconds", p, YVAL_INT);
        if (key && *key)
                spec_validate_qualified_name(e, kp, key);
        if ((!key || !*key) && (!op || strcmp(op, "Exists")))
                spec_err_invalid_str(e, op_p, op ? op : "",
                                     "operator must be Exists when `key` is empty, which means \"match all values and all keys\"");
        if (secs && (!eff || strcmp(eff, "NoExecute")))
                spec_err_invalid_str(e, ep, eff ? eff : "", "effect must be 'NoExecute' when `tolerationSeconds` is set");
        if (!op || !*op || !strcmp(op, "Equal")) {
                if (val)
                        spec_validate_label_value(e, vp, val);
        } else if (!strcmp(op, "Exists")) {
                if (val && *val)
                        spec_err_invalid_str(e, op_p, val, "value must be empty when `operator` is 'Exists'");
        } else {
                spec_err_unsupported(e, op_p, op, ops, ARRAY_SIZE(ops));
        }
        if (eff && *eff)
                spec_check_enum(e, ep, eff, effects, ARRAY_SIZE(effects));
}

/* ---- topologySpreadConstraints ---- */

static void check_spread(struct spec_errs *e, const struct yval *c, const char *p)
{
        static const char *const whens[] = { "DoNotSchedule", "ScheduleAnyway" };
        static const char *const policies[] = { "Honor", "Ignore" };
        const struct yval *skew, *min, *sel;
        const char *tk, *when, *pol;
        _cleanup_free_ char *sp = spec_path_key(p, "maxSkew"), *tp = spec_path_key(p, "topologyKey"),
                            *wp = spec_path_key(p, "whenUnsatisfiable"), *mp = spec_path_key(p, "minDomains"),
                            *lp = spec_path_key(p, "labelSelector");

        KNOWN(e, c, p, "maxSkew", "topologyKey", "whenUnsatisfiable", "labelSelector", "minDomains",
              "nodeAffinityPolicy", "nodeTaintsPolicy", "matchLabelKeys");
        skew = member(e, c, "maxSkew", p, YVAL_INT);
        if (!skew || skew->i <= 0)
                spec_err_invalid_int(e, sp, skew ? (long long)skew->i : 0, "must be greater than zero");
        tk = str_member(e, c, "topologyKey", p);
        if (!tk || !*tk)
                spec_err_required(e, tp, "can not be empty");
        when = str_member(e, c, "whenUnsatisfiable", p);
        spec_check_enum(e, wp, when ? when : "", whens, ARRAY_SIZE(whens));
        if ((min = member(e, c, "minDomains", p, YVAL_INT))) {
                if (min->i <= 0)
                        spec_err_invalid_int(e, mp, (long long)min->i, "must be greater than zero");
                else if (when && strcmp(when, "DoNotSchedule")) {
                        _cleanup_free_ char *why = xasprintf("can only use minDomains if whenUnsatisfiable=DoNotSchedule, not %s", when);

                        spec_err_invalid_int(e, mp, (long long)min->i, why);
                }
        }
        if ((pol = str_member(e, c, "nodeAffinityPolicy", p))) {
                _cleanup_free_ char *pp = spec_path_key(p, "nodeAffinityPolicy");

                spec_check_enum(e, pp, pol, policies, ARRAY_SIZE(policies));
        }
        if ((pol = str_member(e, c, "nodeTaintsPolicy", p))) {
                _cleanup_free_ char *pp = spec_path_key(p, "nodeTaintsPolicy");

                spec_check_enum(e, pp, pol, policies, ARRAY_SIZE(policies));
        }
        if ((sel = member(e, c, "labelSelector", p, YVAL_MAP)))
                check_label_selector(e, sel, lp);
        member(e, c, "matchLabelKeys", p, YVAL_LIST);
}

/* {topologyKey, whenUnsatisfiable} pairs are unique. */
static void check_spread_unique(struct spec_errs *e, const struct yval *l)
{
        for (size_t i = 0; l && i < l->list.n; i++) {
                const char *ki = yval_get_str(l->list.items[i], "topologyKey", ""),
                           *wi = yval_get_str(l->list.items[i], "whenUnsatisfiable", "");

                for (size_t j = 0; j < i; j++) {
                        _cleanup_free_ char *p = NULL, *v = NULL;

                        if (strcmp(ki, yval_get_str(l->list.items[j], "topologyKey", "")) ||
                            strcmp(wi, yval_get_str(l->list.items[j], "whenUnsatisfiable", "")))
                                continue;
                        p = spec_path_idx("spec.topologySpreadConstraints", i);
                        v = xasprintf("{%s, %s}", ki, wi);
                        spec_err_duplicate(e, p, v);
                        break;
                }
        }
}

static void check_gates(struct spec_errs *e, const struct yval *spec)
{
        EACH(e, spec, "schedulingGates", "spec", g, gp, {
                const char *name;
                const struct yval *l = yval_map_get(spec, "schedulingGates");
                _cleanup_free_ char *np = spec_path_key(gp, "name");

                KNOWN(e, g, gp, "name");
                name = str_member(e, g, "name", gp);
                spec_validate_qualified_name(e, np, name ? name : "");
                for (size_t j = 0; name && j < i_; j++)
                        if (!strcmp(name, yval_get_str(l->list.items[j], "name", ""))) {
                                spec_err_duplicate(e, np, name);
                                break;
                        }
        });
}

static void check_node_selector(struct spec_errs *e, const struct yval *m)
{
        for (size_t i = 0; i < m->map.n; i++) {
                _cleanup_free_ char *at = spec_path_key("spec.nodeSelector", m->map.m[i].key);

                e->line_path = at;
                spec_validate_qualified_name(e, "spec.nodeSelector", m->map.m[i].key);
                if (want(e, m->map.m[i].val, at, YVAL_STRING, "a string"))
                        spec_validate_label_value(e, "spec.nodeSelector", m->map.m[i].val->str.s);
                e->line_path = NULL;
        }
}

static struct yval *keep(const struct yval *v)
{
        return v && v->type != YVAL_NULL ? yval_clone(v) : NULL;
}

void spec_decode_sched(struct spec_errs *e, const struct yval *spec, struct pod_spec *s)
{
        static const char *const preempt[] = { "Never", "PreemptLowerPriority" };
        const struct yval *v;
        const char *str;

        if ((v = member(e, spec, "nodeSelector", "spec", YVAL_MAP)))
                check_node_selector(e, v);
        s->node_selector = keep(v);
        if ((str = str_member(e, spec, "nodeName", "spec")) && *str) {
                spec_validate_subdomain(e, "spec.nodeName", str);
                s->node_name = xstrdup(str);
        }
        if ((v = member(e, spec, "affinity", "spec", YVAL_MAP)))
                check_affinity(e, v);
        s->affinity = keep(v);
        EACH(e, spec, "tolerations", "spec", t, tp, { check_toleration(e, t, tp); });
        s->tolerations = keep(yval_map_get(spec, "tolerations"));
        EACH(e, spec, "topologySpreadConstraints", "spec", c, cp, { check_spread(e, c, cp); });
        s->topology_spread_constraints = keep(yval_map_get(spec, "topologySpreadConstraints"));
        check_spread_unique(e, s->topology_spread_constraints);
        check_gates(e, spec);
        s->scheduling_gates = keep(yval_map_get(spec, "schedulingGates"));
        /* validatePodCreate: a gated pod is not bound to a node yet */
        if (s->node_name && pod_spec_is_gated(s))
                spec_err_forbidden(e, "spec.nodeName", "cannot be set until all schedulingGates have been cleared");
        if ((str = str_member(e, spec, "priorityClassName", "spec")) && *str) {
                spec_validate_subdomain(e, "spec.priorityClassName", str);
                s->priority_class_name = xstrdup(str);
        }
        if ((v = member(e, spec, "priority", "spec", YVAL_INT))) {
                s->priority = (int32_t)v->i;
                s->priority_set = true;
        }
        if ((str = str_member(e, spec, "preemptionPolicy", "spec")) && *str &&
            spec_check_enum(e, "spec.preemptionPolicy", str, preempt, ARRAY_SIZE(preempt)))
                s->preemption_policy = xstrdup(str);
}

/* ---- the priority admission plugin ---- */

static const struct { const char *name; int32_t value; } builtin_classes[] = {
        { "system-node-critical", 2000001000 },
        { "system-cluster-critical", 2000000000 },
};

int spec_sched_admit(struct pod_spec *s, const char *filename, struct pfs_error *err)
{
        const char *name = s->name ? s->name : "";
        int32_t prio = 0;
        size_t i = 0;

        if (s->priority_class_name) {
                while (i < ARRAY_SIZE(builtin_classes) && strcmp(builtin_classes[i].name, s->priority_class_name))
                        i++;
                if (i == ARRAY_SIZE(builtin_classes))
                        return pfs_error_set(err, EPERM, "%s: pods \"%s\" is forbidden: no PriorityClass with name %s was found",
                                             filename, name, s->priority_class_name);
                prio = builtin_classes[i].value;
        }
        if (s->priority_set && s->priority != prio)
                return pfs_error_set(err, EPERM, "%s: pods \"%s\" is forbidden: the integer value of priority (%d) must "
                                     "not be provided in pod spec; priority admission controller computed %d from the "
                                     "given PriorityClass name", filename, name, (int)s->priority, (int)prio);
        if (s->preemption_policy && strcmp(s->preemption_policy, "PreemptLowerPriority"))
                return pfs_error_set(err, EPERM, "%s: pods \"%s\" is forbidden: the string value of PreemptionPolicy (%s) "
                                     "must not be provided in pod spec; priority admission controller computed "
                                     "PreemptLowerPriority from the given PriorityClass name", filename, name,
                                     s->preemption_policy);
        s->priority = prio;
        return 0;
}
