// gemma3 synth: writes a synthetic checkpoint (exact Gemma 3 shapes, seeded random bf16 weights).
#include <cstdio>

#include "apps/command.h"
#include "model/synth.h"
#include "util/args.h"

namespace gemma3 {
namespace {

int run_synth(int argc, char** argv) {
  Args args("synth", "Write a Hugging Face-layout Gemma 3 checkpoint with seeded random bf16 weights.");
  args.option("preset", "", "270m, 1b, tiny or quant", "tiny").option("seed", "", "random seed", "0").option("out", "o", "output folder");
  args.option("tokenizer", "", "gemma3, or functiongemma (FunctionGemma's seven markers at ids 46-52 and a FunctionGemma-style template)",
              "gemma3");
  if (auto s = args.parse(argc, argv); !s) return std::fprintf(stderr, "%s\n", s.error().c_str()), 1;
  if (args.help_requested()) return std::fprintf(stdout, "%s", args.usage().c_str()), 0;
  if (!args.has("out")) return std::fprintf(stderr, "synth: -o DIR is required\n%s", args.usage().c_str()), 1;
  auto seed = args.get_int("seed");
  if (!seed || *seed < 0) return std::fprintf(stderr, "synth: --seed expects a non-negative integer\n"), 1;
  SynthOptions options{args.get("preset"), static_cast<uint64_t>(*seed), args.get("out"), args.get("tokenizer")};
  if (auto s = write_synthetic_checkpoint(options); !s) return std::fprintf(stderr, "synth: %s\n", s.error().c_str()), 1;
  std::fprintf(stderr, "wrote synthetic %s checkpoint (seed %llu) to %s\n", options.preset.c_str(),
               static_cast<unsigned long long>(options.seed), options.out_dir.c_str());
  return 0;
}

const bool registered = register_command({"synth", "write a synthetic checkpoint (random weights, real shapes)", &run_synth});

}  // namespace
}  // namespace gemma3
