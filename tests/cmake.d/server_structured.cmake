# Structured outputs and tool calling end to end: the real `gemma3 serve` on synthetic checkpoints,
# the official openai client, ajv as the independent validator (tests/server/*.test.mjs).
find_program(NODE_EXECUTABLE node)
foreach(suite structured tools)
  if(NODE_EXECUTABLE AND EXISTS ${CMAKE_SOURCE_DIR}/tests/server/${suite}.test.mjs)
    add_test(NAME server_${suite}
             COMMAND ${NODE_EXECUTABLE} --test --test-reporter=spec ${CMAKE_SOURCE_DIR}/tests/server/${suite}.test.mjs
             WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/server)
    set_tests_properties(server_${suite} PROPERTIES
      ENVIRONMENT "GEMMA3_BIN=$<TARGET_FILE:gemma3>"
      LABELS "e2e;slow"
      TIMEOUT 900)
  endif()
endforeach()
