# The HTTP server: link cpp-httplib (Debian's build is a shared library whose header must be
# compiled with the same CPPHTTPLIB_* defines; pkg-config supplies both), and the end-to-end Node
# suite against the real `gemma3 serve`.
find_package(PkgConfig REQUIRED)
pkg_check_modules(CPP_HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
# TODO(lead): move this into the top-level gemma3_module(server ...) deps; here it only applies
# when tests are configured.
get_target_property(_server_type gemma3_server TYPE)
if(_server_type STREQUAL "INTERFACE_LIBRARY")
  target_link_libraries(gemma3_server INTERFACE PkgConfig::CPP_HTTPLIB)
else()
  target_link_libraries(gemma3_server PUBLIC PkgConfig::CPP_HTTPLIB)
endif()

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
