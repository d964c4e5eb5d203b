/* automation_cache.h - the city pack's automation rules (automation.h), read
 * once and kept, per app: read again only when the file changes on disk (its
 * modification time, size, inode or change time differ from what was read;
 * one stat() per look-up). The writer's department-mail fan-out looks at the
 * rules for every new job and the staff handlers for every request: reading
 * and parsing the file each time was a file read and a JSON parse on the
 * write path.
 *
 * One cache serves several packs (a region's whole and its members): an
 * entry per city object and rules file.
 *
 * Ownership: mp_automation_cache_new returns a new cache
 * (mp_automation_cache_free, which accepts NULL; call it after every holder
 * of rules got from it is done, or let them keep their references: rules
 * are reference counted). mp_automation_cache_get hands out a new reference
 * to read-only rules, dropped with mp_automation_free.
 * Thread-safety: mp_automation_cache_get may be called from any number of
 * threads at once (HTTP workers, the writer, the outbox sender).
 */
#ifndef MELDPUNT_AUTOMATION_CACHE_H
#define MELDPUNT_AUTOMATION_CACHE_H

#include <stdint.h>

#include "meldpunt/automation.h"
#include "meldpunt/city.h"
#include "meldpunt/status.h"

struct mp_automation_cache;

enum mp_status mp_automation_cache_new(struct mp_automation_cache **out) MP_WUR;
void mp_automation_cache_free(struct mp_automation_cache *c);

/* The rules of city as mp_automation_load reads them, from c when the file
 * did not change since c read it. A file that fails to load fails every
 * look-up, with the same err, until it changes (it is not re-read for each).
 * c NULL: mp_automation_load itself (tools without an app). */
enum mp_status mp_automation_cache_get(struct mp_automation_cache *c, const struct mp_city *city,
                                       struct mp_automation **out, struct mp_error *err) MP_WUR;

/* How many times c has read a rules file (for tests: the file is read once
 * per change, not once per look-up). */
uint64_t mp_automation_cache_loads(struct mp_automation_cache *c);

#endif
