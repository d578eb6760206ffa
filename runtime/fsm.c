/* The one dispatcher of the runtime's state machines (fsm.h). */
#include "fsm.h"
#include <syslog.h>
#include "pfs/util.h"

void fsm_init(struct fsm *m, const struct fsm_def *def, const char *who, int state, fsm_action_fn run,
              void *obj)
{
        *m = (struct fsm){.def = def, .who = who, .state = state, .run = run, .obj = obj};
}

const struct fsm_transition *fsm_lookup(const struct fsm_def *def, int state, int ev)
{
        if (state < 0 || state >= def->n_states || ev < 0 || ev >= def->n_events)
                return NULL;
        return &def->table[state * def->n_events + ev];
}

const char *fsm_state_name(const struct fsm_def *def, int state)
{
        return state >= 0 && state < def->n_states && def->state_names[state] ? def->state_names[state] : "?";
}

const char *fsm_event_name(const struct fsm_def *def, int ev)
{
        return ev >= 0 && ev < def->n_events && def->event_names[ev] ? def->event_names[ev] : "?";
}

const char *fsm_action_name(const struct fsm_def *def, int action)
{
        return action > 0 && def->action_names[action] ? def->action_names[action] : "none";
}

static void fsm_enqueue(struct fsm *m, int ev, int64_t arg)
{
        if (m->n_queued == FSM_QUEUE_MAX) {
                pfs_log(LOG_ERR, "%s %s: event queue full, %s dropped", m->def->what, m->who,
                        fsm_event_name(m->def, ev));
                return;
        }
        m->queued[m->n_queued++] = (struct fsm_queued){.ev = ev, .arg = arg};
}

/* One event and the follow-ups its actions chain. */
static int fsm_step(struct fsm *m, int ev, int64_t arg)
{
        const struct fsm_def *d = m->def;
        int n = 0;

        while (ev != 0) {
                const struct fsm_transition *t = fsm_lookup(d, m->state, ev);
                int follow = 0, next;

                if (!t || !t->action) {
                        pfs_log(LOG_DEBUG, "%s %s: event %s ignored in state %s", d->what, m->who,
                                fsm_event_name(d, ev), fsm_state_name(d, m->state));
                        return n;
                }
                next = m->run(m->obj, t->action, ev, arg, &follow);
                if (next == FSM_KEEP)
                        next = t->next;
                if (next == FSM_KEEP)
                        next = m->state;
                pfs_log(LOG_DEBUG, "%s %s: %s --%s/%s--> %s", d->what, m->who, fsm_state_name(d, m->state),
                        fsm_event_name(d, ev), fsm_action_name(d, t->action), fsm_state_name(d, next));
                m->state = next;
                n++;
                ev = follow;
                arg = 0;
        }
        return n;
}

int fsm_dispatch(struct fsm *m, int ev, int64_t arg)
{
        int n;

        if (m->busy) {
                fsm_enqueue(m, ev, arg);
                return 0;
        }
        m->busy = true;
        n = fsm_step(m, ev, arg);
        for (size_t i = 0; i < m->n_queued; i++)
                n += fsm_step(m, m->queued[i].ev, m->queued[i].arg);
        m->n_queued = 0;
        m->busy = false;
        return n;
}
