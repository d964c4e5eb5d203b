/* fuzz_import.c - libFuzzer target for the CSV import (`meldpunt import`):
 * header mapping, the chicago311 and labelled row formats (times, numbers,
 * type mapping, duplicate links, closures replayed in time order), through
 * mp_import_csv into a temporary database. The CSV reader itself has its
 * own target (fuzz_csv.c).
 *
 * Input: byte 0 picks the format (even: chicago311, odd: labelled), the rest
 * is the file. Checks: only statuses bad input can cause, a well-formed error,
 * counts that add up, and a session left without an open transaction (the
 * next input would fail otherwise).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "meldpunt/import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536)
        return 0;
    struct mp_ctx *ctx = fuzz_ctx();
    const char *format = data[0] & 1 ? "labelled" : "chicago311";
    char *copy = malloc(size); /* fmemopen wants a buffer it may write */
    CHECK(copy != NULL);
    memcpy(copy, data + 1, size - 1);
    FILE *f = fmemopen(copy, size - 1, "r");
    if (size == 1) { /* fmemopen refuses size 0 on some libcs: an empty file */
        if (f)
            fclose(f);
        f = fopen("/dev/null", "r");
    }
    CHECK(f != NULL);
    struct mp_import_stats st;
    struct mp_error err = {{0}, {0}};
    memset(&st, 0, sizeof st);
    enum mp_status rc = mp_import_csv(ctx, format, f, &st, &err);
    fuzz_check_answer(rc, &err);
    CHECK(st.rows >= 0 && st.imported >= 0 && st.joined >= 0);
    CHECK(st.joined <= st.imported);
    CHECK(st.imported + st.skipped_info + st.skipped_type + st.skipped_nocoord +
              st.skipped_area + st.skipped_invalid + st.skipped_existing <=
          st.rows);
    CHECK(st.dup_pairs_same_cluster <= st.dup_pairs);
    CHECK(fclose(f) == 0);
    free(copy);
    /* The session is free for the next caller: a write can begin. */
    CHECK(mp_store_begin_write(ctx->db, &err) == MP_OK);
    mp_store_rollback(ctx->db);
    return 0;
}
