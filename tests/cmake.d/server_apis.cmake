# The Responses and Messages APIs end to end: the real `gemma3 serve` on a synthetic checkpoint,
# the official openai and @anthropic-ai/sdk clients (tests/server/{responses,anthropic}.test.mjs).
find_program(NODE_EXECUTABLE node)
foreach(suite responses anthropic)
  if(NODE_EXECUTABLE AND EXISTS ${CMAKE_SOURCE_DIR}/tests/server/${suite}.test.mjs)
    add_test(NAME server_${suite}
             COMMAND ${NODE_EXECUTABLE} --test --test-reporter=spec ${CMAKE_SOURCE_DIR}/tests/server/${suite}.test.mjs
             WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/server)
    set_tests_properties(server_${suite} PROPERTIES
      ENVIRONMENT "GEMMA3_BIN=$<TARGET_FILE:gemma3>"
      LABELS "e2e;slow"
      TIMEOUT 600)
  endif()
endforeach()
