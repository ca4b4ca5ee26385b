# `gemma3 bench --json --batch 4 --dtype q8_0` on a synthetic tiny checkpoint: every field present
# and consistent with numbers tests/apps/bench_json_test.py computes from config.json.
add_test(NAME bench_json_tiny
         COMMAND /usr/bin/python3 ${CMAKE_SOURCE_DIR}/tests/apps/bench_json_test.py $<TARGET_FILE:gemma3>
                 ${CMAKE_BINARY_DIR}/bench_json)
set_tests_properties(bench_json_tiny PROPERTIES LABELS "apps" TIMEOUT 180)

# tools/perplexity_deltas.sh on a synthetic tiny checkpoint: f32 == bf16, q8_0 closer to bf16 than
# q4_0 (tests/apps/perplexity_deltas_test.py). Seven perplexity runs (~40 s): "slow".
add_test(NAME perplexity_deltas_tiny
         COMMAND /usr/bin/python3 ${CMAKE_SOURCE_DIR}/tests/apps/perplexity_deltas_test.py $<TARGET_FILE:gemma3>
                 ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/perplexity_deltas)
set_tests_properties(perplexity_deltas_tiny PROPERTIES LABELS "apps;slow" TIMEOUT 600)
