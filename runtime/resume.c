/* Resuming a pod after its previous sandbox stopped or died: restart counts
 * continue from status.json, a run that was cut off is recorded (Unknown, 255),
 * and restartPolicy decides what runs again. */
#include "sandbox.h"

/* Continue from a previous sandbox's status.json: restart counts continue, a
 * container that was running is recorded as gone (Unknown, 255). */
void sup_resume(struct sbx *s, struct pod_status *prev)
{
        for (size_t i = 0; i < s->n_ctrs; i++) {
                struct ctr *c = &s->ctrs[i];
                struct ctr_status *cs = pod_status_find(s->status, c->name);
                struct ctr_status *ps = pod_status_find(prev, c->name);
                int32_t code;
                bool again;

                if (!cs || !ps)
                        continue;
                cs->restart_count = ps->restart_count;
                ctr_state_copy(&cs->last_state, &ps->last_state);
                free(cs->image_id);
                free(cs->container_id);
                cs->image_id = cs->container_id = NULL;
                if (ps->image_id)
                        cs->image_id = xstrdup(ps->image_id);
                if (ps->container_id)
                        cs->container_id = xstrdup(ps->container_id);
                c->has_run = ps->restart_count > 0 || ps->last_state.kind != CTR_STATE_NONE ||
                             ps->state.kind == CTR_STATE_RUNNING || ps->state.kind == CTR_STATE_TERMINATED;
                if (ps->state.kind == CTR_STATE_RUNNING) {
                        ctr_state_set_terminated(&cs->state, 255, 0, "Unknown", NULL, ps->state.started_at,
                                                 pfs_now_realtime_ns(), ps->container_id);
                } else if (ps->state.kind == CTR_STATE_TERMINATED) {
                        ctr_state_copy(&cs->state, &ps->state);
                } else {
                        continue; /* waiting: start as usual */
                }
                code = cs->state.exit_code;
                if (c->is_init && !c->is_sidecar && code == 0) {
                        cs->ready = true;
                        c->sm.state = CS_EXITED;
                        continue;
                }
                again = c->is_sidecar || s->spec->restart_policy == POD_RESTART_ALWAYS ||
                        (s->spec->restart_policy == POD_RESTART_ON_FAILURE && code != 0);
                if (again) {
                        ctr_state_copy(&cs->last_state, &cs->state);
                        ctr_state_set_waiting(&cs->state, "ContainerCreating", NULL);
                        c->sm.state = CS_CREATING;
                } else {
                        c->sm.state = CS_EXITED;
                }
        }
}
