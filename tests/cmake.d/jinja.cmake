# The Jinja engine against Python Jinja2 (Debian python3-jinja2, configured as transformers'
# apply_chat_template): every (template, conversation) pair of tests/data/jinja renders
# byte-identically, or both fail. jinja_render is the engine's tiny command-line driver.
add_executable(jinja_render ${CMAKE_SOURCE_DIR}/tests/jinja/jinja_render_main.cc)
target_link_libraries(jinja_render PRIVATE gemma3_jinja)
