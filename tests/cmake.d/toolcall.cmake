# FunctionGemma-style checkpoints (`gemma3 synth --tokenizer functiongemma`): the template renders the
# documented FunctionGemma prompt under Python Jinja2 (python3-jinja2, set up as transformers does),
# `gemma3 template` prints the same bytes, and `--ids` turns only the template's markers into
# FunctionGemma's tokens 46-52.
add_test(NAME toolcall_functiongemma_template
         COMMAND /usr/bin/python3 ${CMAKE_SOURCE_DIR}/tests/toolcall/functiongemma_template_check.py
                 $<TARGET_FILE:gemma3> ${CMAKE_BINARY_DIR}/toolcall)
set_tests_properties(toolcall_functiongemma_template PROPERTIES LABELS "toolcall;reference" TIMEOUT 120
                     ENVIRONMENT "GEMMA3_TOKENIZER_DIR=${GEMMA3_TOKENIZER_DIR}")
