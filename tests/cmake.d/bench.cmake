# `gemma3 bench --json --batch 4 --dtype q8_0` on a synthetic tiny checkpoint: every field present
# and consistent with numbers tests/apps/bench_json_test.py computes from config.json.
add_test(NAME bench_json_tiny
         COMMAND /usr/bin/python3 ${CMAKE_SOURCE_DIR}/tests/apps/bench_json_test.py $<TARGET_FILE:gemma3>
                 ${CMAKE_BINARY_DIR}/bench_json)
set_tests_properties(bench_json_tiny PROPERTIES LABELS "apps" TIMEOUT 180)
