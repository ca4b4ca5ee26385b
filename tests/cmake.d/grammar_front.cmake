# Grammar front end acceptance over the committed JSONSchemaBench sample (tests/grammar/
# jsonschemabench_sample_check.cc): a few seconds in Release, ~45 s under ASan, hence "slow"; it is
# not a *_test.cc so the per-module discovery does not register it a second time.
add_executable(jsonschemabench_sample_check ${CMAKE_SOURCE_DIR}/tests/grammar/jsonschemabench_sample_check.cc)
target_link_libraries(jsonschemabench_sample_check PRIVATE gemma3_grammar GTest::gtest GTest::gtest_main)
target_compile_definitions(jsonschemabench_sample_check PRIVATE GEMMA3_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
add_test(NAME grammar_jsonschemabench_sample COMMAND jsonschemabench_sample_check)
set_tests_properties(grammar_jsonschemabench_sample PROPERTIES LABELS "grammar;slow" TIMEOUT 300)
