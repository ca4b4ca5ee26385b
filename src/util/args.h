// Args: a small command-line parser for the `gemma3` subcommands. Options are declared with their
// help text so every subcommand prints an accurate --help; unknown options and bad values are
// errors that name the option.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

namespace gemma3 {

class Args {
 public:
  Args(std::string program, std::string summary) : program_(std::move(program)), summary_(std::move(summary)) {}

  // Declares an option taking a value ("-m", "--model"), or a boolean flag. `short_name` may be "".
  Args& option(const std::string& long_name, const std::string& short_name, const std::string& help,
               std::optional<std::string> default_value = std::nullopt);
  Args& flag(const std::string& long_name, const std::string& help);

  // Parses argv[0..argc) (argv[0] is the first argument after the subcommand name).
  Status parse(int argc, char** argv);

  bool help_requested() const { return help_; }
  std::string usage() const;

  bool has(const std::string& long_name) const;
  std::string get(const std::string& long_name) const;  // "" when absent and no default
  bool is_set(const std::string& flag_name) const;     // for flags
  Result<long long> get_int(const std::string& long_name) const;
  Result<double> get_double(const std::string& long_name) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  struct Spec {
    std::string long_name, short_name, help;
    bool is_flag = false;
    std::optional<std::string> default_value;
  };
  const Spec* find(const std::string& token) const;

  std::string program_, summary_;
  std::vector<Spec> specs_;
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
  bool help_ = false;
};

}  // namespace gemma3
