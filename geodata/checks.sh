# Shared by the geodata/build-*.sh scripts (sourced): checks of the derived files.

# sql_check FILE SQL EXPECTED: the integers SQL gives over FILE (GDAL's SQLite dialect with
# SpatiaLite functions, so GEOS validity and overlap tests), space-separated, must be EXPECTED.
sql_check() {
    local got
    got="$(ogrinfo -ro -q -dialect SQLite -sql "$2" "$1" | sed -n 's/.*(Integer) = //p' | tr '\n' ' ')"
    if [ "$got" != "$3" ]; then
        echo "check FAILED: $1: $2 gave '$got', want '$3'" >&2
        exit 1
    fi
    echo "check: ok: $(basename "$1"): $2 = $got"
}
