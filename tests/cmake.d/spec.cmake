# --spec ngram|off on generate and bench (tests/apps/spec_cli_test.py): the same text with and without
# speculative decoding, and bench's off/on comparison on a synthetic tiny checkpoint.
add_test(NAME spec_cli_tiny
         COMMAND /usr/bin/python3 ${CMAKE_SOURCE_DIR}/tests/apps/spec_cli_test.py $<TARGET_FILE:gemma3>
                 ${CMAKE_BINARY_DIR}/spec_cli)
set_tests_properties(spec_cli_tiny PROPERTIES LABELS "apps" TIMEOUT 300)
