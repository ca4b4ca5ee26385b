# GGUF files as llama.cpp writes them for Gemma 3 (included from tests/CMakeLists.txt). The
# byte-level loader and error tests are the GoogleTest suite tests/model/gguf_file_test.cc; here,
# real-size files written by the independent NumPy converter tests/reference/gguf_writer.py from a
# synthetic tiny checkpoint (fixture gguf_files) are checked against that checkpoint:
#  - gguf_quant_bytes_*: every row of every tensor equals the engine's own encoding (GGML's
#    reference Q8_0 / Q4_0 quantizers, f16/bf16 rounding, norms + 1) of the safetensors weights;
#  - gguf_logits: BF16 GGUF logits bit-identical to the bf16 safetensors, F32 / F16 within a
#    float tolerance; gguf_quant_logits: Q8_0 / Q4_0 against F32 safetensors of the dequantized
#    weights;
#  - gguf_tokenizer: the GGUF's own vocabulary tokenizes the tests/data/tokenizer corpus exactly
#    like tokenizer.json (label slow: ~45 loads of the 262K-token vocabulary);
#  - gguf_cli: generate, chat, perplexity, template and bench with -m FILE.gguf;
#  - gguf_quantize: `gemma3 quantize` writes the same bytes as the independent writer.
# Also declared in reference.cmake; files are included in name order, so declare it here too.
set(GEMMA3_REFERENCE_PYTHON /usr/bin/python3 CACHE FILEPATH
    "Python with NumPy for the reference tests (Debian's /usr/bin/python3 has python3-numpy)")
add_executable(gguf_quant_check ${CMAKE_SOURCE_DIR}/tests/model/gguf_quant_check.cc)
target_link_libraries(gguf_quant_check PRIVATE gemma3_model)

set(gemma3_gguf_work ${CMAKE_BINARY_DIR}/gguf)
function(gemma3_gguf_compare check labels timeout)
  add_test(NAME gguf_${check}
           COMMAND ${GEMMA3_REFERENCE_PYTHON} ${CMAKE_SOURCE_DIR}/tests/reference/gguf_compare.py
                   --gemma3 $<TARGET_FILE:gemma3> --workdir ${gemma3_gguf_work} --check ${check})
  set_tests_properties(gguf_${check} PROPERTIES LABELS "${labels}" TIMEOUT ${timeout}
                       ENVIRONMENT "GEMMA3_TOKENIZER_DIR=${GEMMA3_TOKENIZER_DIR}")
  if(check STREQUAL "files")
    set_tests_properties(gguf_${check} PROPERTIES FIXTURES_SETUP gemma3_gguf_files)
  else()
    set_tests_properties(gguf_${check} PROPERTIES FIXTURES_REQUIRED gemma3_gguf_files)
  endif()
endfunction()

gemma3_gguf_compare(files "gguf;reference" 300)
gemma3_gguf_compare(logits "gguf;reference" 300)
gemma3_gguf_compare(quant "gguf;reference" 300)
gemma3_gguf_compare(tokenizer "gguf;reference;slow" 900)
gemma3_gguf_compare(cli "gguf;reference" 300)
gemma3_gguf_compare(quantize "gguf;reference" 300)

foreach(dtype bf16 f32 f16 q8_0 q4_0)
  add_test(NAME gguf_quant_bytes_${dtype}
           COMMAND gguf_quant_check ${gemma3_gguf_work}/tiny ${gemma3_gguf_work}/tiny-${dtype}.gguf)
  set_tests_properties(gguf_quant_bytes_${dtype} PROPERTIES LABELS "gguf;reference" TIMEOUT 300
                       FIXTURES_REQUIRED gemma3_gguf_files)
endforeach()

# Legacy (Q4_1 / Q5_0 / Q5_1) and K-quant (Q2_K … Q6_K) blocks: the engine's widening bit-identical
# to NumPy's dequantization written from GGML's format description (tests/reference/ggml_blocks.py),
# and its legacy quantizers byte-identical to NumPy's GGML reference quantizers.
add_executable(gguf_dequant_dump ${CMAKE_SOURCE_DIR}/tests/model/gguf_dequant_dump.cc)
target_link_libraries(gguf_dequant_dump PRIVATE gemma3_model)
add_test(NAME gguf_dequant_blocks
         COMMAND ${GEMMA3_REFERENCE_PYTHON} ${CMAKE_SOURCE_DIR}/tests/reference/gguf_dequant_check.py
                 --dump $<TARGET_FILE:gguf_dequant_dump> --workdir ${CMAKE_BINARY_DIR}/gguf-blocks)
set_tests_properties(gguf_dequant_blocks PROPERTIES LABELS "gguf;reference" TIMEOUT 60)

# `gemma3 quantize --dtype q4_k_m|q5_k_m|q6_k|q3_k_m` writes the file llama-quantize writes: the
# synthetic "quant" checkpoint (rows of 64, 256 and 512, so both the K types and their legacy
# fallbacks occur) quantized by each mix, tensor by tensor and then the whole file, against the
# sha256 of what llama-quantize wrote (golden data and the commands: tests/data/quantize/README.md);
# then --matmul-int8 on the Q4_K_M file (Q4_K / Q6_K / Q5_0 / Q8_0 with int8 dot products) must move
# its logits by at most 8% of their range.
add_test(NAME gguf_quantize_golden
         COMMAND ${GEMMA3_REFERENCE_PYTHON} ${CMAKE_SOURCE_DIR}/tests/reference/quantize_golden.py --check
                 --gemma3 $<TARGET_FILE:gemma3> --workdir ${CMAKE_BINARY_DIR}/gguf-quantize
                 --data ${CMAKE_SOURCE_DIR}/tests/data/quantize)
set_tests_properties(gguf_quantize_golden PROPERTIES LABELS "gguf;reference" TIMEOUT 120
                     ENVIRONMENT "GEMMA3_TOKENIZER_DIR=${GEMMA3_TOKENIZER_DIR}")
