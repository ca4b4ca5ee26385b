# The Node end-to-end suites beside server_e2e: the real `gemma3 serve` on synthetic checkpoints,
# driven by the official clients (openai, @anthropic-ai/sdk), with ajv as the independent JSON
# Schema validator: structured outputs, tool calling, the Responses and Messages APIs
# (tests/server/{structured,tools,responses,anthropic}.test.mjs).
find_program(NODE_EXECUTABLE node)
foreach(suite structured tools responses anthropic)
  set(timeout 600)
  if(suite STREQUAL "structured" OR suite STREQUAL "tools")
    set(timeout 900)   # ~100-200 constrained generations each
  endif()
  if(NODE_EXECUTABLE AND EXISTS ${CMAKE_SOURCE_DIR}/tests/server/${suite}.test.mjs)
    add_test(NAME server_${suite}
             COMMAND ${NODE_EXECUTABLE} --test --test-reporter=spec ${CMAKE_SOURCE_DIR}/tests/server/${suite}.test.mjs
             WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/server)
    set_tests_properties(server_${suite} PROPERTIES
      ENVIRONMENT "GEMMA3_BIN=$<TARGET_FILE:gemma3>"
      LABELS "e2e;slow"
      TIMEOUT ${timeout})
  endif()
endforeach()
