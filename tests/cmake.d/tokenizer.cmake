# Tokenizer tests that drive the built `gemma3` program (included from tests/CMakeLists.txt).
#  - tokenizer_cli: flags and error handling of `gemma3 tokenize` / `gemma3 detokenize`.
#  - tokenizer_reference_js: every tests/data/tokenizer/*.txt file, with special tokens recognised
#    and with --plain, must give the same ids as the JavaScript port @lenml/tokenizers
#    (tests/js, installed by `npm install --prefix tests/js`, which the Makefile's deps step runs),
#    and `gemma3 detokenize` must give back the port's decode of those ids.
file(GLOB tokenizer_corpus CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/data/tokenizer/*.txt)

add_test(NAME tokenizer_cli
         COMMAND sh ${CMAKE_SOURCE_DIR}/tests/tokenizer/cli_test.sh $<TARGET_FILE:gemma3> ${GEMMA3_TOKENIZER_DIR})
set_tests_properties(tokenizer_cli PROPERTIES LABELS "tokenizer" TIMEOUT 120)

find_program(GEMMA3_NODE_EXECUTABLE NAMES node nodejs)
if(GEMMA3_NODE_EXECUTABLE)
  add_test(NAME tokenizer_reference_js
           COMMAND ${GEMMA3_NODE_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/js/tokenizer_reference.mjs compare
                   --gemma3 $<TARGET_FILE:gemma3> --tokenizer-dir ${GEMMA3_TOKENIZER_DIR} ${tokenizer_corpus})
else()
  add_test(NAME tokenizer_reference_js
           COMMAND sh -c "echo 'tokenizer_reference_js: Node.js is needed (apt-get install nodejs npm, then npm install --prefix tests/js)' >&2; exit 1")
endif()
set_tests_properties(tokenizer_reference_js PROPERTIES LABELS "tokenizer;reference;slow" TIMEOUT 900)
