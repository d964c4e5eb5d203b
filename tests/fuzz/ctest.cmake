# A short libFuzzer run of every target (tests/fuzz/run.sh, 10 s each) as
# the CTest test fuzz.short. It needs clang and its fuzzer runtime (Debian:
# libclang-rt-14-dev); without them fuzz.short is a test that fails saying
# so (mp_missing_test), never a test left out. Included from
# tests/CMakeLists.txt, after mp_missing_test is defined:
#
#   include(${CMAKE_CURRENT_SOURCE_DIR}/fuzz/ctest.cmake)
#
# The targets are built by run.sh with clang in a build directory of their
# own (inside this build directory), since the test build may use gcc.
find_program(MP_CLANG_EXECUTABLE clang)
file(GLOB MP_FUZZER_RUNTIME
    /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a
    /usr/lib/llvm-*/lib/clang/*/lib/x86_64-pc-linux-gnu/libclang_rt.fuzzer.a
    /usr/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a)
if(MP_CLANG_EXECUTABLE AND MP_FUZZER_RUNTIME)
    add_test(NAME fuzz.short COMMAND ${PROJECT_SOURCE_DIR}/tests/fuzz/run.sh 10)
    set_tests_properties(fuzz.short PROPERTIES
        ENVIRONMENT "MELDPUNT_FUZZ_BUILD=${CMAKE_BINARY_DIR}/fuzz-build;MELDPUNT_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
        LABELS fuzz TIMEOUT 1200)
else()
    mp_missing_test(fuzz.short "clang and its fuzzer runtime (libclang-rt-14-dev)" fuzz)
endif()
