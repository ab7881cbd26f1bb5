# certgate — the two commands a user needs are `make demo` and `make test`.
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
PREFIX ?= /usr/local

.PHONY: all deps deps-deep build build-bin build-asan build-tsan build-fuzz test test-release test-asan test-deep soak \
	demo bench bench-instructions bench-ab install format format-check clean

all: build

deps:
	@bash scripts/install-deps.sh

# clang for the fuzz targets: only `make test-deep` and `make build-fuzz` need it.
deps-deep:
	@bash scripts/install-deps.sh deep

build/build.ninja: | deps
	@cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null

build-asan/build.ninja: | deps
	@cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCERTGATE_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null

build-tsan/build.ninja: | deps
	@cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCERTGATE_SANITIZE=thread $(CMAKE_FLAGS) >/dev/null

# libFuzzer needs clang; only the library and the fuzz targets are built there.
build-fuzz/build.ninja: | deps deps-deep
	@cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++-14 -DCERTGATE_FUZZ=ON \
	  -DCERTGATE_TESTS=OFF -DCERTGATE_MIMALLOC=OFF $(CMAKE_FLAGS) >/dev/null

# Everything: the binary, the unit tests and the man page.
build: deps build/build.ninja
	@cmake --build build -j $(JOBS)

# Only the binary (what `make demo` and `make install` need).
build-bin: deps build/build.ninja
	@cmake --build build -j $(JOBS) --target certgate

# AddressSanitizer + UndefinedBehaviorSanitizer (-O0 -g1); the whole suite runs on it too.
build-asan: deps build-asan/build.ninja
	@cmake --build build-asan -j $(JOBS)

# ThreadSanitizer: the unit tests and the integration files that exercise threads (scripts/tsan.sh).
build-tsan: deps build-tsan/build.ninja
	@cmake --build build-tsan -j $(JOBS)

build-fuzz: deps deps-deep build-fuzz/build.ninja
	@cmake --build build-fuzz -j $(JOBS) --target fuzzers

test-release: build
	cd build && ctest --output-on-failure -j $(JOBS)

test-asan: build-asan
	cd build-asan && ctest --output-on-failure -j $(JOBS)

# Both suites always run; the result is decided at the end (scripts/test-all.sh).
test: deps
	@JOBS=$(JOBS) bash scripts/test-all.sh

# Both suites RUNS (5) times under a CPU hog, on trees already built (scripts/soak.sh).
soak:
	@JOBS=$(JOBS) bash scripts/soak.sh

# The deeper checks CI runs after `make test`: every fuzz target for FUZZ_SECONDS (default 30) each, then
# the ThreadSanitizer subset (scripts/test-deep.sh).
test-deep: deps deps-deep
	@JOBS=$(JOBS) bash scripts/test-deep.sh

demo: build-bin
	@bash scripts/demo.sh

bench: build
	@bash bench/run.sh

# Instructions per keep-alive request of this build against BEFORE=<another certgate binary> (callgrind).
bench-instructions: build
	@bash bench/instructions.sh

# Server CPU per keep-alive request of this build and BEFORE=<another certgate binary>, same run (native).
bench-ab: build
	@bash bench/ab.sh

install: build-bin
	@cmake --build build --target manpage >/dev/null
	@cmake --install build --prefix $(PREFIX)

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.h')

format-check: deps
	@clang-format --dry-run --Werror $$(git ls-files '*.cpp' '*.h')

clean:
	rm -rf build build-asan build-tsan build-fuzz
