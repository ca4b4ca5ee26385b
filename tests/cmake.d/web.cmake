# The chat page (web/, served at / by `gemma3 serve`, compiled into the binary by web/embed.cmake).
#  - static_assets_test: the embedded files and their routes over the fake backend (fast; also
#    runs under ASan).
#  - web_markdown: the Markdown renderer's safety and output, in plain Node (fast).
#  - web_chat_page: end to end in Debian's headless Chromium driven by npm playwright-core
#    (tests/web/node_modules: `npm ci --prefix tests/web`), against the real `gemma3 serve` on a
#    synthetic tiny checkpoint. Labelled slow like server_e2e, so the ASan pass skips it (a browser
#    against a sanitised server is slow and adds nothing the Release run does not check).
#    Screenshots go to <build>/artifacts/.
add_executable(static_assets_test ${CMAKE_SOURCE_DIR}/tests/web/static_assets_test.cc)
target_link_libraries(static_assets_test PRIVATE gemma3_server PkgConfig::CPP_HTTPLIB GTest::gtest GTest::gtest_main)
target_include_directories(static_assets_test PRIVATE ${CMAKE_SOURCE_DIR}/tests)
target_compile_definitions(static_assets_test PRIVATE GEMMA3_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
gtest_discover_tests(static_assets_test DISCOVERY_TIMEOUT 60 PROPERTIES LABELS web)

find_program(NODE_EXECUTABLE node)
find_program(CHROMIUM_EXECUTABLE chromium)
if(NODE_EXECUTABLE)
  add_test(NAME web_markdown
           COMMAND ${NODE_EXECUTABLE} --test --test-reporter=spec ${CMAKE_SOURCE_DIR}/tests/web/markdown.test.mjs)
  set_tests_properties(web_markdown PROPERTIES LABELS "web" TIMEOUT 60)
else()
  add_test(NAME web_markdown COMMAND ${CMAKE_COMMAND} -E echo "node not found: cannot run tests/web/markdown.test.mjs")
  set_tests_properties(web_markdown PROPERTIES LABELS "web" WILL_FAIL TRUE)
endif()

if(NODE_EXECUTABLE AND CHROMIUM_EXECUTABLE)
  add_test(NAME web_chat_page
           COMMAND ${NODE_EXECUTABLE} --test --test-reporter=spec ${CMAKE_SOURCE_DIR}/tests/web/chat_page.test.mjs
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/web)
  set_tests_properties(web_chat_page PROPERTIES
    ENVIRONMENT "GEMMA3_BIN=$<TARGET_FILE:gemma3>;CHROMIUM_BIN=${CHROMIUM_EXECUTABLE};GEMMA3_ARTIFACTS=${CMAKE_BINARY_DIR}/artifacts"
    LABELS "e2e;slow;web"
    TIMEOUT 600)
else()
  add_test(NAME web_chat_page
           COMMAND ${CMAKE_COMMAND} -E echo "node or chromium not found: cannot run tests/web/chat_page.test.mjs")
  set_tests_properties(web_chat_page PROPERTIES LABELS "e2e;slow;web" WILL_FAIL TRUE)
endif()
