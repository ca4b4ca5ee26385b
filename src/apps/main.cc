// Entry point: dispatches `gemma3 SUBCOMMAND ...` to the registered subcommand.
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "apps/command.h"

namespace gemma3 {

static std::vector<Command>& command_table() {
  static std::vector<Command> table;
  return table;
}

bool register_command(Command command) {
  command_table().push_back(std::move(command));
  return true;
}

const std::vector<Command>& registered_commands() { return command_table(); }

}  // namespace gemma3

static void print_usage() {
  auto commands = gemma3::registered_commands();
  std::sort(commands.begin(), commands.end(), [](auto& a, auto& b) { return a.name < b.name; });
  std::fprintf(stderr, "usage: gemma3 COMMAND [options]   (gemma3 COMMAND --help for its options)\n\ncommands:\n");
  for (const auto& c : commands) std::fprintf(stderr, "  %-12s %s\n", c.name.c_str(), c.summary.c_str());
}

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "--help") == 0) {
    print_usage();
    return argc < 2 ? 1 : 0;
  }
  for (const auto& c : gemma3::registered_commands()) {
    if (c.name == argv[1]) return c.run(argc - 2, argv + 2);
  }
  std::fprintf(stderr, "gemma3: unknown command '%s'\n\n", argv[1]);
  print_usage();
  return 1;
}
