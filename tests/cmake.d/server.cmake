# The end-to-end Node suite against the real `gemma3 serve`.
# End-to-end: the real `gemma3 serve` on a synthetic tiny checkpoint, driven by the official
# `openai` npm client. Needs tests/server/node_modules (`npm install --prefix tests/server`); the
# suite exits with a message saying so when it is missing.
find_program(NODE_EXECUTABLE node)
if(NODE_EXECUTABLE)
  add_test(NAME server_e2e
           COMMAND ${NODE_EXECUTABLE} --test --test-reporter=spec ${CMAKE_SOURCE_DIR}/tests/server/e2e.test.mjs
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/server)
  set_tests_properties(server_e2e PROPERTIES
    ENVIRONMENT "GEMMA3_BIN=$<TARGET_FILE:gemma3>"
    LABELS "e2e;slow"
    TIMEOUT 900)
else()
  add_test(NAME server_e2e COMMAND ${CMAKE_COMMAND} -E echo "node not found: cannot run tests/server/e2e.test.mjs")
  set_tests_properties(server_e2e PROPERTIES LABELS "e2e;slow" WILL_FAIL TRUE)
endif()
