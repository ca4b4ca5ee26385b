// gemma3 logits: every position's logits for a list of token ids, as a NumPy .npy file. Used by
// the reference tests to compare the prefill, chunked and KV-cache decode paths with NumPy.
#include <cstdio>
#include <fstream>

#include "apps/cli_support.h"
#include "apps/command.h"
#include "model/sequence_runner.h"
#include "util/mapped_file.h"

namespace gemma3 {
namespace {

Status write_npy(const std::string& path, const float* data, size_t rows, size_t cols) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", " +
                       std::to_string(cols) + "), }";
  while ((10 + header.size() + 1) % 64 != 0) header.push_back(' ');
  header.push_back('\n');
  std::ofstream out(path, std::ios::binary);
  const char magic[] = "\x93NUMPY\x01\x00";
  out.write(magic, 8);
  uint16_t len = static_cast<uint16_t>(header.size());
  out.write(reinterpret_cast<const char*>(&len), 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(rows * cols * sizeof(float)));
  if (!out) return make_error(path + ": write failed");
  return ok_status();
}

int run_logits(int argc, char** argv) {
  Args args("logits", "Write the logits of every position of a token sequence to a .npy file (rows, vocab).");
  add_model_options(args);
  args.option("ids-file", "", "JSON array of token ids").option("out", "o", "output .npy path")
      .option("mode", "", "prefill (one pass), chunked (passes of 5 tokens) or decode (one token at a time)", "prefill");
  if (auto s = args.parse(argc, argv); !s) return std::fprintf(stderr, "%s\n", s.error().c_str()), 1;
  if (args.help_requested()) return std::fprintf(stdout, "%s", args.usage().c_str()), 0;
  if (!args.has("ids-file") || !args.has("out")) return std::fprintf(stderr, "logits: --ids-file and -o are required\n"), 1;
  const std::string mode = args.get("mode");
  if (mode != "prefill" && mode != "chunked" && mode != "decode")
    return std::fprintf(stderr, "logits: --mode must be prefill, chunked or decode\n"), 1;

  auto ckpt = load_checkpoint(args, /*want_tokenizer=*/false);
  if (!ckpt) return std::fprintf(stderr, "logits: %s\n", ckpt.error().c_str()), 1;
  const int32_t vocab = ckpt->model->config.vocab_size;
  auto text = read_text_file(args.get("ids-file"));
  if (!text) return std::fprintf(stderr, "logits: %s\n", text.error().c_str()), 1;
  auto ids = parse_token_ids(*text, vocab, args.get("ids-file"));
  if (!ids) return std::fprintf(stderr, "logits: %s\n", ids.error().c_str()), 1;
  if (ids->empty()) return std::fprintf(stderr, "logits: no token ids\n"), 1;

  const int32_t chunk = mode == "prefill" ? static_cast<int32_t>(ids->size()) : (mode == "chunked" ? 5 : 1);
  SequenceRunner runner(*ckpt->model, static_cast<int32_t>(ids->size()), chunk);
  std::vector<float> logits(ids->size() * static_cast<size_t>(vocab));
  runner.feed(*ids, logits.data(), /*all_logits=*/true);
  if (auto s = write_npy(args.get("out"), logits.data(), ids->size(), vocab); !s)
    return std::fprintf(stderr, "logits: %s\n", s.error().c_str()), 1;
  return 0;
}

const bool registered = register_command({"logits", "write all positions' logits for token ids (.npy)", &run_logits});

}  // namespace
}  // namespace gemma3
