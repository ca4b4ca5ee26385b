# Grammar-engine tests that drive the built `gemma3` program (included from tests/CMakeLists.txt).
#  - grammar_cli: `gemma3 grammar` with a JSON Schema, a regex and a choice list on documents
#    (tests/grammar/cli/), the summary line, and clear errors for bad options and unsupported schemas.
add_test(NAME grammar_cli
         COMMAND sh ${CMAKE_SOURCE_DIR}/tests/grammar/cli_test.sh $<TARGET_FILE:gemma3> ${GEMMA3_TOKENIZER_DIR})
set_tests_properties(grammar_cli PROPERTIES LABELS "grammar" TIMEOUT 120)
