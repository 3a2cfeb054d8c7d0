# Thin wrapper over CMake. Every target installs missing Debian packages first.
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CTEST_FLAGS ?= --output-on-failure -j $(JOBS)
# WERROR=ON turns warnings into errors (CI sets it).
WERROR ?= OFF
CMAKE_FLAGS ?=
override CMAKE_FLAGS += -DCOTEL_WERROR=$(WERROR)

.PHONY: all build demo test sanitize asan tsan fuzz bench interop faults format format-check clean deps \
  package consumers abi-check layers docs nginx nginx-test nginx-bench

all: build

deps:
	@sh scripts/deps.sh build

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null
	@echo "cotel: building in $(BUILD)/ (log: $(BUILD)/build.log)"
	@cmake --build $(BUILD) -j $(JOBS) >$(BUILD)/build.log 2>&1 || \
	  { cat $(BUILD)/build.log; exit 1; }

# The main job: a traced example on a libuv loop, printing its trace tree.
demo: build
	@$(BUILD)/bin/cotel-demo

test: build
	@sh scripts/deps.sh viewer || echo "cotel: no chromium: the cotel-trace browser test will be skipped"
	@cd $(BUILD) && ctest $(CTEST_FLAGS) --timeout 120

# The whole test suite under ASan+UBSan, then under TSan.
sanitize: asan tsan

asan: deps
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCOTEL_SANITIZE=address $(CMAKE_FLAGS) >/dev/null
	@cmake --build build-asan -j $(JOBS)
	@cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  ctest $(CTEST_FLAGS) --timeout 300

tsan: deps
	@cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DCOTEL_SANITIZE=thread $(CMAKE_FLAGS) >/dev/null
	@cmake --build build-tsan -j $(JOBS)
	@cd build-tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	  ctest $(CTEST_FLAGS) --timeout 600

# Fuzz every parser (libFuzzer, clang): FUZZ_RUNS executions each (default
# 1 million), at most FUZZ_SECONDS (default 600) each. CI's smoke sets
# FUZZ_SECONDS=20 FUZZ_RUNS= (time only).
FUZZ_SECONDS ?= 600
FUZZ_RUNS ?= 1000000
fuzz:
	@sh scripts/deps.sh fuzz
	@CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOTEL_FUZZ=ON >/dev/null
	@cmake --build build-fuzz -j $(JOBS)
	@sh scripts/fuzz.sh build-fuzz $(FUZZ_SECONDS) $(FUZZ_RUNS)

# Debian packages (libcotel0, libcotel-dev) in build-pkg/ with CPack.
package:
	@sh scripts/package.sh

# Out-of-tree consumers: cmake --install + pkg-config + find_package,
# add_subdirectory, FetchContent, and the .deb packages.
consumers: build
	@sh scripts/consumer-test.sh install
	@sh scripts/consumer-test.sh subdir
	@sh scripts/consumer-test.sh fetch
	@sh scripts/consumer-test.sh deb

# The ABI against abi/libcotel.abi (docs/abi.md).
abi-check:
	@sh scripts/abi-check.sh

# The API reference (Doxygen, warnings as errors) in build-docs/html/.
docs:
	@sh scripts/docs.sh

# Include lines never cross a layer upward (docs/architecture.md).
layers:
	@python3 scripts/check-layers.py

bench: build
	@sh scripts/deps.sh bench
	@sh scripts/bench.sh $(BUILD)

interop: build
	@sh scripts/deps.sh interop
	@sh interop/run.sh

# The fault matrix against the real collector (docs/reliability.md);
# FAULTS_QUICK=1 for CI, FAULTS_ONLY=spool,dns to pick faults.
faults: build
	@sh scripts/deps.sh interop
	@python3 scripts/faults.py


# The nginx module (instrumentation/nginx), built against Debian's nginx-dev
# into $(BUILD)/nginx/ngx_http_cotel_module.so; docs/nginx.md.
nginx: build
	@sh scripts/deps.sh nginx
	@sh scripts/nginx.sh $(BUILD)

# The module in the real nginx on 127.0.0.1 (needs root: nginx runs with a
# private prefix in a temporary directory).
nginx-test: nginx
	@python3 tests/nginx_test.py $(BUILD)

# wrk against nginx: no module, module with otel_trace off, every request
# traced and exported (docs/nginx.md has the numbers).
nginx-bench: nginx
	@sh scripts/deps.sh bench
	@sh bench/nginx.sh $(BUILD)

FORMAT_DIRS = sdk propagators exporters instrumentation setup examples tests bench tools
format:
	@sh scripts/deps.sh format
	@find $(FORMAT_DIRS) -name '*.[ch]' | xargs clang-format -i

format-check:
	@sh scripts/deps.sh format
	@find $(FORMAT_DIRS) -name '*.[ch]' | xargs clang-format --dry-run -Werror

clean:
	rm -rf build build-asan build-tsan build-fuzz build-abi build-pkg build-docs
