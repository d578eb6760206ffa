/* Native sidecars (KEP-753): an init container with restartPolicy Always
 * starts in its turn and lets the next one start once it is started (its
 * startup probe passed, its postStart hook done); it is restarted whatever
 * the pod's restartPolicy (supervise.c's decide_restart); when the app
 * containers are done for good it is stopped and the pod ends as if it were
 * not there; on termination the sidecars stop after the app containers, the
 * last one first, each once those after it are gone, within the one grace
 * period (kubelet's terminationOrdering). */
#include "sandbox.h"

void sidecar_started(struct sbx *s, struct ctr *c)
{
        if (!c->is_sidecar || c->sidecar_up)
                return;
        c->sidecar_up = true;
        sup_advance(s);
}

bool sidecar_defer_stop(const struct ctr *c)
{
        return c->is_sidecar && (c->sm.state == CS_RUNNING || c->sm.state == CS_RESTARTING);
}

static bool apps_final(const struct sbx *s)
{
        for (size_t i = 0; i < s->n_ctrs; i++)
                if (!s->ctrs[i].is_init && !sup_state_is_final(s->ctrs[i].sm.state))
                        return false;
        return true;
}

static struct ctr *last_live_sidecar(struct sbx *s)
{
        for (size_t i = s->n_ctrs; i-- > 0;)
                if (s->ctrs[i].is_sidecar && !sup_state_is_final(s->ctrs[i].sm.state))
                        return &s->ctrs[i];
        return NULL;
}

void sidecar_stop_next(struct sbx *s)
{
        struct ctr *c;

        /* called while the termination begins too: its state is not "stopping" yet */
        if (!apps_final(s))
                return;
        c = last_live_sidecar(s);
        /* one at a time: the next once this one is final (sup_dispatch calls back) */
        if (c && c->sm.state != CS_KILLING)
                sup_dispatch(s, c, EV_DELETE);
}

void sidecar_stop_all(struct sbx *s)
{
        for (size_t i = 0; i < s->n_ctrs; i++)
                if (s->ctrs[i].is_sidecar && !sup_state_is_final(s->ctrs[i].sm.state) &&
                    s->ctrs[i].sm.state != CS_KILLING)
                        sup_dispatch(s, &s->ctrs[i], EV_DELETE);
}

void sidecar_ctr_final(struct sbx *s)
{
        if (term_begun(s)) {
                sidecar_stop_next(s);
                return;
        }
        if (last_live_sidecar(s) && apps_final(s))
                term_apps_done(s);
}
