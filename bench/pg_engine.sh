# shellcheck shell=bash
# bench/pg_engine.sh - sourced by bench/run.sh (not run by itself): the
# PostgreSQL engine's side of the benchmark (issue 15), i.e. meldpunt itself
# on a `postgresql://` database, next to the same scenarios on SpatiaLite.
#
# The city: `meldpunt import` of the same generated CSV into a PostgreSQL 15
# cluster made once in bench/data/pgm-N/ (initdb, Unix socket only, loaded
# with fsync off, then stopped; the import's own figures are kept in
# bench/data/pgm-import-N.log). Each run copies that data folder into
# bench/data/run/pgm/, starts it there on a Unix socket in the same folder
# (no TCP), durable as meldpunt on SQLite is (fsync on, synchronous_commit
# on, full_page_writes on), and stops and removes it at the end: the cached
# city is never changed, like the SQLite city's copies.
#
# Uses run.sh's variables and helpers (D, RUN, N, CSV, BIN, CITY, PORT, DUR,
# INGEST_DUR, PGBIN, log, calc, fmt_int, wrk_*, cpu_of, thread_cpu,
# wait_http, as_postgres) and writes its figures with erow (run.sh).

PGM_CACHE=$D/pgm-$KEY
PGM_DIR=$RUN/pgm
PGM_DB=meldbench
PGM_UP=""
PGM_SERVERS=()

pgm_url() { printf 'postgresql://postgres@/%s?host=%s' "$PGM_DB" "$1"; }
pgm_psql() { # socket-dir, psql args...
    local dir=$1
    shift
    "$PGBIN/psql" -X -q -h "$dir" -U postgres -d "$PGM_DB" -v ON_ERROR_STOP=1 "$@"
}
pgm_start_in() { # dir [extra -c settings]: pg_ctl start of DIR/data, socket in DIR
    local dir=$1
    shift
    as_postgres "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 600 \
        -o "-k $dir -c listen_addresses= $*" start >>"$LOG" 2>&1
}
pgm_stop_in() { as_postgres "$PGBIN/pg_ctl" -D "$1/data" -m fast -w -t 600 stop >>"$LOG" 2>&1 || true; }

# The cached city: made once per N (and again when the stamp's CSV changes).
pgm_build_cache() {
    local stamp
    stamp="$(stat -c '%s %Y' "$CSV") $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)"
    if [ -s "$PGM_CACHE/data/PG_VERSION" ] && [ -f "$PGM_CACHE/imported" ]; then
        return 0
    fi
    log "PostgreSQL engine: a new cluster in $PGM_CACHE for the city (one time)"
    rm -rf "$PGM_CACHE"
    mkdir -p "$PGM_CACHE"
    chown postgres: "$PGM_CACHE" 2>/dev/null || true
    chmod 700 "$PGM_CACHE"
    new_pg_cluster "$PGM_CACHE/data"
    # Memory as the PostGIS anchor cluster of run.sh has it (the 1M tables
    # and their indexes stay cached, as SQLite's pages do in the OS cache).
    cat >>"$PGM_CACHE/data/postgresql.conf" <<EOF
# bench/pg_engine.sh: meldpunt's PostgreSQL engine under benchmark
shared_buffers = 1GB
work_mem = 64MB
maintenance_work_mem = 512MB
max_connections = 200
max_wal_size = 4GB
fsync = on
synchronous_commit = on
full_page_writes = on
EOF
    # Loading is not what is measured: no fsync while importing.
    pgm_start_in "$PGM_CACHE" -c fsync=off -c synchronous_commit=off -c full_page_writes=off
    "$PGBIN/psql" -X -q -h "$PGM_CACHE" -U postgres -d postgres -c "CREATE DATABASE $PGM_DB" >>"$LOG" 2>&1
    if [ "${BENCH_PG_LOAD:-copy}" = copy ] && [ -s "$DB" ]; then
        pgm_copy_city || { pgm_stop_in "$PGM_CACHE"; return 1; }
    else
        /usr/bin/time -f 'cpu %U %S wall %e rss %M' env MELDPUNT_PG_EXPERIMENTAL=1 \
            "$BIN" import --db "$(pgm_url "$PGM_CACHE")" --city "$CITY" --format labelled "$CSV" \
            >"$D/pgm-import-$KEY.log" 2>&1 || {
            log "PostgreSQL engine: import failed (see $D/pgm-import-$KEY.log)"
            pgm_stop_in "$PGM_CACHE"
            return 1
        }
    fi
    pgm_psql "$PGM_CACHE" -c 'VACUUM ANALYZE' >>"$LOG" 2>&1
    pgm_stop_in "$PGM_CACHE"
    echo "$stamp" >"$PGM_CACHE/imported"
}

# The SQLite city's rows, copied as they are into a database that meldpunt
# has given its PostgreSQL schema (BENCH_PG_LOAD=copy, the default when the
# SQLite city exists): the same reports in the same clusters, with the same
# ids and history, in minutes. `meldpunt import` into PostgreSQL (what
# BENCH_PG_LOAD=import does) makes the same clusters but is one round trip
# per statement, 80-600 reports/s on this shared machine: hours for 1M.
pgm_copy_city() {
    local url t0=$SECONDS
    url=$(pgm_url "$PGM_CACHE")
    log "PostgreSQL engine: copying the rows of $DB (no import)"
    MELDPUNT_PG_EXPERIMENTAL=1 "$BIN" user list --db "$url" --city "$CITY" >>"$LOG" 2>&1
    local t
    for t in clusters reports history; do
        case $t in
        clusters) cols="id, municipality, category, status, report_count, x, y, sum_x, sum_y, lon,
            lat, first_at, last_at, fixed_at, district, street, location, created_at, updated_at" ;;
        reports) cols="id, municipality, cluster_id, category, description, address, channel,
            status, district, lon, lat, x, y, created_at, updated_at, external_id, contact_name,
            contact_email, contact_phone, join_reason, street, location" ;;
        history) cols="id, municipality, cluster_id, report_id, at, status, note, note_public, actor" ;;
        esac
        local sel=$cols
        [ "$t" != history ] || sel="h.id, c.municipality, h.cluster_id, h.report_id, h.at, h.status,
            h.note, CASE WHEN h.note_public THEN 't' ELSE 'f' END, h.actor"
        local from=$t
        [ "$t" != history ] || from="history h JOIN clusters c ON c.id = h.cluster_id"
        # Geometry columns are computed in PostgreSQL from the copied numbers.
        local extra="" expr=""
        case $t in
        clusters) extra=", geom, metric" expr=", ST_SetSRID(ST_MakePoint(lon, lat), 4326), ST_MakePoint(x, y)" ;;
        reports) extra=", geom" expr=", ST_SetSRID(ST_MakePoint(lon, lat), 4326)" ;;
        esac
        sqlite3 -readonly -csv -nullvalue '\N' "$DB" "SELECT $sel FROM $from ORDER BY 1" |
            pgm_psql "$PGM_CACHE" -c "CREATE TEMP TABLE s AS SELECT $cols FROM $t WITH NO DATA" \
                -c "\\copy s FROM pstdin (FORMAT csv, NULL '\\N')" \
                -c "INSERT INTO $t ($cols$extra) OVERRIDING SYSTEM VALUE SELECT $cols$expr FROM s" \
                -c "SELECT setval(pg_get_serial_sequence('$t', 'id'), (SELECT max(id) FROM $t))" \
                >>"$LOG" 2>&1 || { log "PostgreSQL engine: copying $t failed (see $LOG)"; return 1; }
    done
    echo "copied from $DB in $((SECONDS - t0)) s" >"$D/pgm-import-$KEY.log"
}

# The run's copy of the cached city, started durable on its own socket.
pgm_up() {
    [ -z "$PGM_UP" ] || return 0
    pgm_build_cache || return 1
    rm -rf "$PGM_DIR"
    mkdir -p "$PGM_DIR"
    cp -a "$PGM_CACHE/data" "$PGM_DIR/data"
    chown -R postgres: "$PGM_DIR" 2>/dev/null || true
    chmod 700 "$PGM_DIR"
    pgm_start_in "$PGM_DIR" || { log "PostgreSQL engine: cluster did not start"; return 1; }
    PGM_UP=1
    PGM_URL=$(pgm_url "$PGM_DIR")
}
pgm_down() {
    pgm_stop_servers
    if [ -n "$PGM_UP" ]; then
        pgm_stop_in "$PGM_DIR"
        PGM_UP=""
    fi
    rm -rf "$PGM_DIR"
}

# CPU seconds (user + system) of the whole PostgreSQL cluster so far: the
# postmaster, its live children, and the children it has reaped (cutime).
pgm_cpu() {
    local pm sum c
    pm=$(head -1 "$PGM_DIR/data/postmaster.pid")
    sum=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15 + $16 + $17) / hz }' "/proc/$pm/stat")
    for c in $(ps -o pid= --ppid "$pm"); do
        [ -r "/proc/$c/stat" ] || continue
        sum=$(awk -v s="$sum" -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", s + ($14 + $15) / hz }' \
            "/proc/$c/stat" 2>/dev/null || echo "$sum")
    done
    echo "$sum"
}
pgm_count() { pgm_psql "$PGM_DIR" -At -c "SELECT count(*) FROM $1"; }

# meldpunt serve on the PostgreSQL copy, on port $1; its pid is appended to
# PGM_SERVERS (stopped by pgm_stop_servers, by pid).
pgm_serve() { # port [env...]
    local port=$1 pid
    shift
    env MELDPUNT_RATE_READS=0 MELDPUNT_PG_EXPERIMENTAL=1 "$@" "$BIN" serve --db "$PGM_URL" \
        --city "$CITY" --web "$ROOT/web" --listen "127.0.0.1:$port" >>"$RUN/server-pg-$port.log" 2>&1 &
    pid=$!
    if ! wait_http "http://127.0.0.1:$port/healthz" "$pid"; then
        log "PostgreSQL engine: server on $port did not come up (see $RUN/server-pg-$port.log)"
        return 1
    fi
    PGM_SERVERS+=("$pid")
}
pgm_stop_servers() {
    local p
    for p in "${PGM_SERVERS[@]}"; do
        kill -TERM "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    PGM_SERVERS=()
}

# ---- scenarios ----

# Map reads and grid on one server: the same requests as the SQLite rows.
# CPU per request counts the server and the PostgreSQL cluster.
pgm_reads() { # bbox city-bbox
    local bbox=$1 cbox=$2 url gurl pid c0 p0 c1 p1 n
    pgm_serve "$PORT" || return 1
    pid=${PGM_SERVERS[0]}
    url="http://127.0.0.1:$PORT/api/v1/reports?bbox=$bbox"
    curl -s -o "$RUN/pg-reports.json" "$url"
    cmp -s "$RUN/pg-reports.json" "$RUN/www/reports.json" 2>/dev/null ||
        log "note: the PostgreSQL server's map answer differs in bytes from SQLite's (or SQLite did not run)"
    pgm_wrk_c1() { # name, wrk args... -> "p50 cpu-per-req server-part pg-part"
        local name=$1
        shift
        c0=$(cpu_of "$pid")
        p0=$(pgm_cpu)
        wrk -t1 -c1 -d"${DUR}s" --timeout 60s --latency "$@" >"$RUN/wrk-pg-$name.txt" 2>&1
        c1=$(cpu_of "$pid")
        p1=$(pgm_cpu)
        n=$(wrk_total "$RUN/wrk-pg-$name.txt")
        echo "$(wrk_p50 "$RUN/wrk-pg-$name.txt") $(calc "($c1 - $c0 + $p1 - $p0) * 1000 / $n")" \
            "$(calc "($c1 - $c0) * 1000 / $n") $(calc "($p1 - $p0) * 1000 / $n") $(wrk_non2xx "$RUN/wrk-pg-$name.txt")"
    }
    local m cpu s pg bad
    read -r m cpu s pg bad < <(pgm_wrk_c1 reads-c1 "$url")
    erow read_cached pg "$m ms (CPU $(printf '%.2f' "$cpu") ms/req: server $(printf '%.2f' "$s"), PostgreSQL $(printf '%.2f' "$pg"))"
    for rep in 1 2; do
        read -r m cpu s pg bad < <(pgm_wrk_c1 "reads-walk-$rep" -s bench/bbox_walk.lua \
            "http://127.0.0.1:$PORT" -- "/api/v1/reports?bbox=" "$bbox" "" 0.002)
        erow read_walk pg "$m ms (CPU $(printf '%.2f' "$cpu") ms/req: server $(printf '%.2f' "$s"), PostgreSQL $(printf '%.2f' "$pg"))${bad/#0/}"
        # shellcheck disable=SC2034 # read by run.sh's table (pg_met)
        PGM_WALK50=$m
    done
    wrk -t2 -c64 -d"${DUR}s" --latency "$url" >"$RUN/wrk-pg-reads-c64.txt" 2>&1
    erow read_c64 pg "$(fmt_int "$(wrk_rps "$RUN/wrk-pg-reads-c64.txt")") req/s ($(wrk_non2xx "$RUN/wrk-pg-reads-c64.txt") non-2xx)"
    gurl="http://127.0.0.1:$PORT/api/v1/clusters/grid?bbox=$cbox&zoom=11"
    read -r m cpu s pg bad < <(pgm_wrk_c1 grid-c1 "$gurl")
    erow grid_cached pg "$m ms (CPU $(printf '%.2f' "$cpu") ms/req)"
    read -r m cpu s pg bad < <(pgm_wrk_c1 grid-walk -s bench/bbox_walk.lua \
        "http://127.0.0.1:$PORT" -- "/api/v1/clusters/grid?bbox=" "$cbox" "&zoom=11" 0.01)
    erow grid_walk pg "$m ms (CPU $(printf '%.2f' "$cpu") ms/req: server $(printf '%.2f' "$s"), PostgreSQL $(printf '%.2f' "$pg"))"
    local rss
    rss=$(awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status")
    erow memory pg "server peak RSS $rss MB (PostgreSQL shared_buffers 1 GB beside it)"
    pgm_stop_servers
}

# Ingest over HTTP with 1 and with 2 servers on the same database, and the
# plain INSERT anchor of the same kind of row on the same tables.
pgm_ingest() { # bodies-file
    local bodies=$1 before after ok secs c0 p0 c1 p1 w0 w1 i
    before=$(pgm_count reports)
    pgm_serve "$PORT" MELDPUNT_RATE_WRITES=0 || return 1
    local pid=${PGM_SERVERS[0]}
    c0=$(cpu_of "$pid")
    w0=$(thread_cpu "$pid" mp-writer)
    p0=$(pgm_cpu)
    wrk -t2 -c64 -d"${INGEST_DUR}s" --latency -s bench/post_reports.lua \
        "http://127.0.0.1:$PORT" -- "$bodies" >"$RUN/wrk-pg-ingest-1.txt" 2>&1
    c1=$(cpu_of "$pid")
    w1=$(thread_cpu "$pid" mp-writer)
    p1=$(pgm_cpu)
    pgm_stop_servers
    after=$(pgm_count reports)
    ok=$(($(wrk_total "$RUN/wrk-pg-ingest-1.txt") - $(wrk_non2xx "$RUN/wrk-pg-ingest-1.txt")))
    secs=$(wrk_secs "$RUN/wrk-pg-ingest-1.txt")
    [ $((after - before)) -ge "$ok" ] || log "WARNING: PostgreSQL: fewer rows ($((after - before))) than 2xx ($ok)"
    PGM_ING1=$(calc "$ok / $secs")
    erow ingest1 pg "$(fmt_int "$PGM_ING1") reports/s (p50 $(wrk_p50 "$RUN/wrk-pg-ingest-1.txt") ms; CPU/report $(fmt_int "$(calc "($c1 - $c0 + $p1 - $p0) * 1000000 / $ok")") us: server $(fmt_int "$(calc "($c1 - $c0) * 1000000 / $ok")") (writer $(fmt_int "$(calc "($w1 - $w0) * 1000000 / $ok")")), PostgreSQL $(fmt_int "$(calc "($p1 - $p0) * 1000000 / $ok")"))"
    # Two servers, 32 connections each, at the same time.
    before=$after
    pgm_serve "$PORT" MELDPUNT_RATE_WRITES=0 || return 1
    pgm_serve "$((PORT + 3))" MELDPUNT_RATE_WRITES=0 || return 1
    p0=$(pgm_cpu)
    local wrks=()
    for i in 0 3; do
        wrk -t1 -c32 -d"${INGEST_DUR}s" --latency -s bench/post_reports.lua \
            "http://127.0.0.1:$((PORT + i))" -- "$bodies" >"$RUN/wrk-pg-ingest-2-$i.txt" 2>&1 &
        wrks+=("$!")
    done
    wait "${wrks[@]}" || true
    p1=$(pgm_cpu)
    pgm_stop_servers
    after=$(pgm_count reports)
    ok=0
    for i in 0 3; do
        ok=$((ok + $(wrk_total "$RUN/wrk-pg-ingest-2-$i.txt") - $(wrk_non2xx "$RUN/wrk-pg-ingest-2-$i.txt")))
    done
    secs=$(wrk_secs "$RUN/wrk-pg-ingest-2-0.txt")
    [ $((after - before)) -ge "$ok" ] || log "WARNING: PostgreSQL, 2 servers: fewer rows ($((after - before))) than 2xx ($ok)"
    PGM_ING2=$(calc "$ok / $secs")
    erow ingest2 pg "$(fmt_int "$PGM_ING2") reports/s (2 x 32 connections; p50 $(wrk_p50 "$RUN/wrk-pg-ingest-2-0.txt") ms)"
    pgm_insert_anchor
}

# The anchors: PostgreSQL storing the same kind of row, one durable
# transaction per row as each 201 is, 64 clients, prepared (pgbench -M
# prepared): (1) the plain INSERT, into a table with reports' columns, its
# primary key and GiST index and nothing else (the target's anchor); (2) the
# same INSERT into meldpunt's own reports table, whose foreign key and
# statement trigger (the change counter, one row every writer updates)
# come with it.
pgm_insert_anchor() {
    local maxid before after t p0 p1 cpu_row
    maxid=$(pgm_psql "$PGM_DIR" -At -c 'SELECT max(id) FROM reports')
    pgm_psql "$PGM_DIR" -c 'CREATE TABLE anchor_reports (LIKE reports INCLUDING DEFAULTS)' \
        -c 'ALTER TABLE anchor_reports ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY' \
        -c "SELECT setval(pg_get_serial_sequence('anchor_reports', 'id'), $maxid)" \
        -c 'ALTER TABLE anchor_reports ADD PRIMARY KEY (id, municipality)' \
        -c 'CREATE INDEX ON anchor_reports USING gist (geom)' \
        -c 'INSERT INTO anchor_reports OVERRIDING SYSTEM VALUE SELECT * FROM reports' \
        -c 'VACUUM ANALYZE anchor_reports' >>"$LOG" 2>&1
    for t in anchor_reports reports; do
        before=$(pgm_count "$t")
        sed "s/@TABLE@/$t/" >"$RUN/pg-insert-$t.sql" <<'EOF'
\set k random(1, :maxid)
INSERT INTO @TABLE@ (municipality, cluster_id, category, description, address, channel, status,
  district, lon, lat, x, y, created_at, updated_at, street, location, geom)
SELECT municipality, cluster_id, category, 'benchmark report', address, 'web', 'new', district,
  lon, lat, x, y, extract(epoch FROM now())::bigint, extract(epoch FROM now())::bigint, street,
  location, geom
FROM reports WHERE id = :k;
EOF
        p0=$(pgm_cpu)
        /usr/bin/time -f 'cpu %U %S' -o "$RUN/pgbench-pg-$t.time" \
            "$PGBIN/pgbench" -n -h "$PGM_DIR" -U postgres -M prepared -c 64 -j 2 -T "$INGEST_DUR" \
            -D maxid="$maxid" -f "$RUN/pg-insert-$t.sql" "$PGM_DB" >"$RUN/pgbench-pg-$t.txt" 2>&1 || true
        p1=$(pgm_cpu)
        after=$(pgm_count "$t")
        # CPU per row: PostgreSQL's and pgbench's own (the client side).
        cpu_row=$(calc "($p1 - $p0 + $(awk '/^cpu/ { print $2 + $3 }' "$RUN/pgbench-pg-$t.time")) * 1000000 / ($after - $before)")
        if [ "$t" = anchor_reports ]; then
            PGM_ANCHOR=$(calc "($after - $before) / $INGEST_DUR")
            erow insert_anchor pg "$(fmt_int "$PGM_ANCHOR") rows/s ($(fmt_int "$cpu_row") us CPU/row) into a plain table (reports' columns, primary key, GiST)"
        else
            erow insert_anchor pg "$(fmt_int "$(calc "($after - $before) / $INGEST_DUR")") rows/s ($(fmt_int "$cpu_row") us CPU/row) into meldpunt's reports table (+ foreign key, change-counter trigger)"
        fi
    done
}

pgm_export() {
    local p0
    p0=$(pgm_cpu)
    /usr/bin/time -f 'wall %e cpu %U %S rss %M' -o "$RUN/export-pg.time" \
        "$BIN" export --db "$PGM_URL" --city "$CITY" --format geojson --output "$RUN/export-pg.geojson" \
        >"$RUN/export-pg.out" 2>&1 || { erow export pg "FAILED (see $RUN/export-pg.out)"; return 0; }
    erow export pg "$(awk '/^wall/ { printf "%.1f s wall, %.1f s CPU, peak RSS %.0f MB", $2, $4 + $5, $7 / 1024 }' "$RUN/export-pg.time"), PostgreSQL CPU $(calc "$(pgm_cpu) - $p0") s, $(grep -o '"Feature"' "$RUN/export-pg.geojson" | wc -l) features"
    rm -f "$RUN/export-pg.geojson"
}

pgm_recluster() {
    local p0
    p0=$(pgm_cpu)
    /usr/bin/time -f 'wall %e cpu %U %S rss %M' -o "$RUN/recluster-pg.time" \
        "$BIN" recluster --db "$PGM_URL" --city "$CITY" >"$RUN/recluster-pg.out" 2>&1 ||
        { erow recluster pg "FAILED (see $RUN/recluster-pg.out)"; return 0; }
    erow recluster pg "$(awk '/^wall/ { printf "%.1f s wall, %.1f s CPU, max RSS %.0f MB", $2, $4 + $5, $7 / 1024 }' "$RUN/recluster-pg.time"), PostgreSQL CPU $(calc "$(pgm_cpu) - $p0") s"
}

# The map-read box (run.sh's bbox_of_points) when the SQLite run did not find
# one: over the PostgreSQL city's points.
pgm_find_bbox() { pgm_psql "$PGM_DIR" -At -F' ' -c 'SELECT lon, lat FROM reports' | bbox_of_points; }
