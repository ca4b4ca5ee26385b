# `gemma3 info` on synthetic checkpoints, checked against numbers tests/apps/info_test.py computes
# itself (shapes, safetensors header, tokenizer files, /proc/cpuinfo). 270m writes ~0.5 GB: "slow".
foreach(preset tiny 270m)
  add_test(NAME info_${preset}
           COMMAND /usr/bin/python3 ${CMAKE_SOURCE_DIR}/tests/apps/info_test.py $<TARGET_FILE:gemma3> ${preset}
                   ${CMAKE_BINARY_DIR}/info)
endforeach()
set_tests_properties(info_tiny PROPERTIES LABELS "apps" TIMEOUT 120)
set_tests_properties(info_270m PROPERTIES LABELS "apps;slow" TIMEOUT 300)
