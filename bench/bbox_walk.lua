-- bbox_walk.lua - wrk script for the uncached read figures of bench/run.sh.
--
-- Every request asks for the same box moved by a random offset of up to
-- +-JITTER degrees (rounded to 6 decimals), so that nearly every request is a
-- new query: what a server answers when a response cache does not help
-- (panning maps, many users). The seed is fixed per thread, so runs repeat.
--
-- usage: wrk -t1 -c1 -d10s -s bench/bbox_walk.lua URL -- PATH BBOX [SUFFIX] [JITTER]
--   PATH    e.g. /api/v1/reports?bbox=
--   BBOX    minlon,minlat,maxlon,maxlat
--   SUFFIX  appended after the box, e.g. &zoom=11 (default none)
--   JITTER  degrees (default 0.002, about 200 m)

local path, suffix, jitter = "/api/v1/reports?bbox=", "", 0.002
local x0, y0, x1, y1
local tid = 0
local next_id = 1

function setup(thread)
    thread:set("tid", next_id)
    next_id = next_id + 1
end

function init(args)
    path = args[1] or path
    local box = assert(args[2], "BBOX argument missing")
    x0, y0, x1, y1 = box:match("^([^,]+),([^,]+),([^,]+),([^,]+)$")
    x0, y0, x1, y1 = tonumber(x0), tonumber(y0), tonumber(x1), tonumber(y1)
    assert(x0 and y0 and x1 and y1, "BBOX must be minlon,minlat,maxlon,maxlat")
    suffix = args[3] or ""
    jitter = tonumber(args[4] or "") or jitter
    math.randomseed(1000 + (tonumber(tid) or 0))
end

function request()
    local dx = (math.random() * 2 - 1) * jitter
    local dy = (math.random() * 2 - 1) * jitter
    local q = string.format("%s%.6f,%.6f,%.6f,%.6f%s", path, x0 + dx, y0 + dy, x1 + dx, y1 + dy,
                            suffix)
    return wrk.format("GET", q)
end
