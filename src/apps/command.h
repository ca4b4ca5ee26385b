// The `gemma3` subcommands. Each cmd_*.cc file registers its own with a static
// `const bool registered = register_command({...});`, so adding a subcommand touches one file.
#pragma once

#include <string>
#include <vector>

namespace gemma3 {

struct Command {
  std::string name;
  std::string summary;
  int (*run)(int argc, char** argv);  // argv excludes the program and subcommand names
};

bool register_command(Command command);
const std::vector<Command>& registered_commands();

}  // namespace gemma3
