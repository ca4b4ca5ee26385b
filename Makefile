# The two quick-start commands: `make run` and `make test`. Both install what is missing first.
BUILD      ?= build
# The sanitizer tree (clang, ASan + UBSan): the test suites and the libFuzzer targets, built once.
SAN_BUILD  ?= build-san
FUZZ_SECONDS ?= 600
JOBS       ?= $(shell nproc)

.PHONY: deps build run test test-release test-asan fuzz fuzz-smoke bench clean

deps:
	tools/install_deps.sh

build: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS)

run: build
	tools/run_demo.sh

# Every test in Release, then the unit and reference tests again under ASan + UBSan, then every
# committed fuzz input and a few seconds of fuzzing per target (the same sanitizer tree).
test: test-release test-asan fuzz-smoke

test-release: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The sanitizer pass skips the tests labelled slow and the long randomized ones named in SAN_SKIP
# (chi-square checks of the samplers, random grammar and call-grammar walks: ~260 s of the ~900 s
# under the sanitizers); the Release pass runs them, and the code they drive is in shorter tests
# that do run here. tools/configure_sanitized.sh says how the tree is built.
SAN_SKIP ?= ChiSquare|RandomGrammarsMatchTheByteLevelReference|WalksGiveValidCalls

test-asan: deps
	tools/configure_sanitized.sh $(SAN_BUILD)
	cmake --build $(SAN_BUILD) -j $(JOBS)
	cd $(SAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS) -LE slow -E '$(SAN_SKIP)'

# libFuzzer (clang, ASan + UBSan): each target in fuzz/ for FUZZ_SECONDS (default 10 minutes), one
# at a time; fuzz-smoke replays the committed inputs and fuzzes each target for 5 seconds.
fuzz: deps
	fuzz/run.sh --build $(SAN_BUILD) --jobs $(JOBS) --seconds $(FUZZ_SECONDS)

fuzz-smoke: deps
	fuzz/run.sh --build $(SAN_BUILD) --jobs $(JOBS) --seconds 5

bench: build
	$(BUILD)/gemma3 bench -m models/synth-270m -p 512 -n 128

clean:
	rm -rf $(BUILD) $(SAN_BUILD)
