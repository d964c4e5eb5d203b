# A thin layer over CMake. `make run` and `make test` do all set-up themselves.
JOBS ?= $(shell nproc)
# `make run DEMO=halle-vilvoorde` serves the region demo (35 municipalities) instead of Chicago.
# Each demo has its own database; the region's demo reports are generated on first run.
DEMO ?= chicago
ifeq ($(DEMO),chicago)
DB ?= var/meldpunt.sqlite
CITY := geodata/chicago
DEMO_CSV := geodata/chicago/demo/chicago311-2021-01-01.csv
DEMO_FORMAT := chicago311
else ifeq ($(DEMO),halle-vilvoorde)
DB ?= var/halle-vilvoorde.sqlite
CITY := geodata/halle-vilvoorde
DEMO_CSV := geodata/halle-vilvoorde/demo/halle-vilvoorde-2025.csv
DEMO_FORMAT := labelled
else
$(error DEMO must be chicago or halle-vilvoorde)
endif

.PHONY: all run test build build-asan setup-run setup-test bench fuzz lint clean

all: build

setup-run:
	@scripts/setup.sh run

setup-test:
	@scripts/setup.sh test

build: setup-run
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF
	cmake --build build -j$(JOBS) --target meldpunt

# Builds, creates the database with the demo data on first run, and serves.
run: build
	@if [ ! -f $(DEMO_CSV) ]; then geodata/build-$(DEMO).sh demo; fi
	@if [ ! -f $(DB) ]; then \
	  echo "Creating $(DB) with the demo data ($(DEMO_CSV))"; \
	  build/meldpunt import --db $(DB) --city $(CITY) --format $(DEMO_FORMAT) $(DEMO_CSV); \
	fi
	build/meldpunt serve --db $(DB) --city $(CITY)

# The whole suite under AddressSanitizer and UBSan, warnings as errors.
test: setup-test
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DMELDPUNT_SANITIZE=ON -DMELDPUNT_WERROR=ON
	cmake --build build-asan -j$(JOBS)
	@# Also the optimised build that `make run` makes: at -O2 gcc finds warnings
	@# (format truncation) that the -O0 sanitizer build does not, and -Werror is on.
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF
	cmake --build build -j$(JOBS) --target meldpunt
	ctest --test-dir build-asan --output-on-failure -j$(JOBS)

# clang-tidy over server/*.c (with build-asan's or build's compile_commands.json) and
# clang-format --dry-run --Werror over server/, include/ and tests/; what predates the
# configs is listed in .clang-tidy-baseline and .clang-format-ignore (scripts/lint.sh).
lint: setup-test
	JOBS=$(JOBS) scripts/lint.sh

bench:
	@scripts/setup.sh bench
	bench/run.sh

# A longer fuzzing run than the one in `make test`: 10 minutes per target.
fuzz: setup-test
	tests/fuzz/run.sh 600

clean:
	rm -rf build build-asan build-fuzz
