# The Jinja engine against Python Jinja2 (Debian python3-jinja2, configured as transformers'
# apply_chat_template): every (template, conversation) pair of tests/data/jinja renders
# byte-identically, or both fail. jinja_render is the engine's tiny command-line driver.
add_executable(jinja_render ${CMAKE_SOURCE_DIR}/tests/jinja/jinja_render_main.cc)
target_link_libraries(jinja_render PRIVATE gemma3_jinja)

add_test(NAME jinja_corpus_vs_jinja2
         COMMAND /usr/bin/python3 ${CMAKE_SOURCE_DIR}/tools/jinja_reference.py --compare
                 --jinja-render $<TARGET_FILE:jinja_render>)
set_tests_properties(jinja_corpus_vs_jinja2 PROPERTIES LABELS "jinja;reference" TIMEOUT 300)
