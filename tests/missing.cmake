# A stand-in test for a part of the suite whose prerequisite was not found at
# configure time: it fails, naming what is missing, so that a machine without
# it cannot report the suite green. Run as
#   cmake -DWHAT=<test> -DNEEDS=<what is missing> -P tests/missing.cmake
message(FATAL_ERROR "${WHAT} cannot run: ${NEEDS} not found when the build was configured "
                    "(scripts/setup.sh test installs it; then re-run cmake)")
