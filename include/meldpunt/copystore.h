/* copystore.h - `meldpunt copy-store FROM TO`: copy a whole database
 * between the store's engines (SQLite file <-> postgresql:// URL, and the
 * same engine as a side effect) and verify the copy table by table: row
 * counts and a SHA-256 over each row's canonical text (below), computed
 * here from the values the store reads, so that both engines are measured
 * with the same yardstick.
 *
 * The source is read inside one read transaction (one snapshot; no write
 * lock, servers on it keep writing); the target is written in one write
 * transaction (a failed copy leaves it as it was). Ids are kept and the
 * target's id counters continue above the highest id the source ever gave.
 *
 * Canonical text of a row (the checksum's input, rows in key order): each
 * value, then '|' after it, then '\n' after the row:
 *   NULL "~";  INT and BOOL "i" decimal;  REAL "r" printf %.17g;
 *   TEXT "t" byte length ":" bytes;  BLOB "b" byte length ":" SHA-256 hex of the bytes. */
#ifndef MELDPUNT_COPYSTORE_H
#define MELDPUNT_COPYSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "meldpunt/config.h"
#include "meldpunt/status.h"
#include "meldpunt/store_copy.h"

/* Every table copy-store handles, parents first (copystore_tables.c). */
extern const struct mp_copy_table mp_copy_tables[];
extern const size_t mp_copy_ntables;

struct mp_copy_opts {
    bool force;       /* the target may hold rows: they are deleted first */
    bool verify_only; /* copy nothing: compare FROM and TO */
};

/* What was found for one table. */
struct mp_copy_table_sum {
    const char *name;
    int64_t rows_from, rows_to;
    int64_t seq_from, seq_to; /* id counters (0 for a table without one) */
    char sum_from[65], sum_to[65]; /* SHA-256 hex */
    bool ok;
};

struct mp_copy_result {
    struct mp_copy_table_sum tables[40];
    size_t ntables;
    double copy_s, verify_s; /* wall-clock seconds */
    bool ok; /* every table matched */
};

/* Copy from into to (locations as for mp_store_open) unless
 * opts->verify_only, then verify. MP_OK with res->ok false when the copy
 * differs; MP_ECONFLICT (err says which table) when the target is not
 * empty and opts->force is not set; other failures in err. */
enum mp_status mp_copystore_run(const char *from, const char *to, const struct mp_copy_opts *opts,
                                struct mp_copy_result *res, struct mp_error *err) MP_WUR;

/* The verification table of res: "table  rows  checksum  ok" lines. */
void mp_copystore_print(FILE *out, const struct mp_copy_result *res);

/* `meldpunt copy-store`: the command line (main.c). */
int mp_cli_copystore(struct mp_config *cfg, int argc, char **argv);

#endif
