-- post_reports.lua - wrk script for the ingest scenario of bench/run.sh.
--
-- Posts JSON reports (POST /api/v1/reports) taken in turn from a file of
-- request bodies, one JSON object per line, written by run.sh from the
-- generated city (real places and categories, so clustering does real work).
-- Each wrk thread starts at its own offset so that the threads do not post
-- the same report at the same moment.
--
-- usage: wrk -t2 -c64 -d20s -s bench/post_reports.lua URL -- BODIES_FILE

local bodies = {}
local i = 0
local next_id = 0

function setup(thread)
    thread:set("tid", next_id)
    next_id = next_id + 1
end

function init(args)
    local path = args[1] or "bench/data/run/ingest-bodies.jsonl"
    local f = assert(io.open(path, "r"))
    for line in f:lines() do
        if #line > 0 then
            bodies[#bodies + 1] = line
        end
    end
    f:close()
    assert(#bodies > 0, "no request bodies in " .. path)
    i = math.floor((tonumber(tid) or 0) * #bodies / 8) % #bodies
end

local headers = {["Content-Type"] = "application/json"}

function request()
    i = i % #bodies + 1
    return wrk.format("POST", "/api/v1/reports", headers, bodies[i])
end
