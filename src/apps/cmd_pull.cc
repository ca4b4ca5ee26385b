// gemma3 pull: downloads a checkpoint from the Hugging Face Hub into the shared cache (the layout
// Python's huggingface_hub uses) and prints its snapshot folder. Also installs the `-m org/name`
// resolver, so every command that takes -m can name a repo instead of a folder.
#include <cstdio>

#include "apps/command.h"
#include "hub/hub_config.h"
#include "hub/progress.h"
#include "hub/pull.h"
#include "model/model_locator.h"
#include "util/args.h"

namespace gemma3 {
namespace {

int run_pull(int argc, char** argv) {
  Args args("pull [REPO]", std::string("Download a checkpoint from the Hugging Face Hub (default ") + hub::kDefaultRepo +
                               ") into the Hugging Face cache ($HF_HUB_CACHE, else $HF_HOME/hub, else "
                               "~/.cache/huggingface/hub) and print its folder. The token comes from HF_TOKEN, else "
                               "the file `huggingface-cli login` writes; HF_ENDPOINT changes the host.");
  args.option("revision", "", "branch, tag or commit hash", "main")
      .option("retries", "", "retries after a network fault or server error, with back-off", "5");
  if (auto s = args.parse(argc, argv); !s) return std::fprintf(stderr, "pull: %s\n", s.error().c_str()), 1;
  if (args.help_requested()) return std::fprintf(stdout, "%s", args.usage().c_str()), 0;
  if (args.positional().size() > 1)
    return std::fprintf(stderr, "pull: expected at most one repo id, got %zu arguments\n", args.positional().size()), 1;
  auto retries = args.get_int("retries");
  if (!retries || *retries < 0 || *retries > 100)
    return std::fprintf(stderr, "pull: --retries expects an integer in [0, 100]\n"), 1;

  hub::PullOptions options;
  if (!args.positional().empty()) options.repo_id = args.positional()[0];
  options.revision = args.get("revision");
  options.retry.max_retries = static_cast<int>(*retries);
  auto result = hub::pull_checkpoint(options);
  if (!result) return std::fprintf(stderr, "pull: %s\n", result.error().c_str()), 1;
  std::fprintf(stderr, "%s: %d files, %d downloaded (%s)%s\n", options.repo_id.c_str(), result->n_files,
               result->n_downloaded, hub::format_bytes(static_cast<double>(result->bytes_downloaded)).c_str(),
               result->n_downloaded == 0 ? ", already up to date" : "");
  std::fprintf(stdout, "%s\n", result->snapshot.c_str());
  return 0;
}

const bool registered = register_command({"pull", "download a checkpoint from the Hugging Face Hub into its cache", &run_pull});
const bool resolver_installed = (set_repo_resolver(&hub::resolve_repo_model), true);

}  // namespace
}  // namespace gemma3
