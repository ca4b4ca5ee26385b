# `gemma3 pull` end to end against tests/hub/fake_hub.py, a local stand-in for the Hugging Face Hub
# (Python 3 stdlib): download and cache layout, a second pull that downloads nothing, `-m org/name`,
# resume after a cut connection, sha256 mismatch, 401/403/404, disk errors, retries. ~10 s.
add_test(NAME hub_pull
         COMMAND /usr/bin/python3 ${CMAKE_SOURCE_DIR}/tests/hub/pull_test.py $<TARGET_FILE:gemma3> ${CMAKE_BINARY_DIR}/hub_pull)
set_tests_properties(hub_pull PROPERTIES LABELS "hub" TIMEOUT 300
                     ENVIRONMENT "GEMMA3_TOKENIZER_DIR=${GEMMA3_TOKENIZER_DIR}")
