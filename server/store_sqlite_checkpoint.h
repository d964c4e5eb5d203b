/* store_checkpoint.h - PRIVATE to server/store*.c: the background WAL
 * checkpointer of mp_store_opts.bg_checkpoint, a thread with a connection of
 * its own (no pool session is taken) that copies the WAL back into the
 * database file beside the writer instead of inside its commits. */
#ifndef MELDPUNT_STORE_CHECKPOINT_H
#define MELDPUNT_STORE_CHECKPOINT_H

#include "meldpunt/status.h"

/* With the background checkpointer, the WAL size (in pages) at which a
 * committing writer checkpoints itself (the sessions' wal_autocheckpoint):
 * 80 MB. */
#define MP_STORE_CHECKPOINT_FALLBACK_PAGES "20000"

struct mp_store_checkpoint;

/* Open the database at path (which must exist, in WAL mode) and start the
 * thread. New object in *out, stopped and freed by
 * mp_store_checkpoint_stop. */
enum mp_status mp_store_checkpoint_start(const char *path, struct mp_store_checkpoint **out,
                                         struct mp_error *err) MP_WUR;
/* Stop the thread (after the pass in progress), close its connection and
 * free c. NULL is allowed. */
void mp_store_checkpoint_stop(struct mp_store_checkpoint *c);

#endif
