// Result<T>: a value or an error message, for everything that can fail on user input (files,
// configs, requests). Messages name the file, key or field and what was expected.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace gemma3 {

struct Error {
  std::string message;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}      // NOLINT: implicit by design

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const std::string& error() const { return std::get<1>(state_).message; }
  Error take_error() && { return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, Error> state_;
};

// Status: a Result with no value.
struct Ok {};
using Status = Result<Ok>;
inline Status ok_status() { return Ok{}; }

inline Error make_error(std::string message) { return Error{std::move(message)}; }

}  // namespace gemma3

// Returns the error of a failed Status/Result expression from the enclosing function.
#define G3_TRY(expr)                            \
  do {                                          \
    if (auto g3_try_result = (expr); !g3_try_result) \
      return std::move(g3_try_result).take_error(); \
  } while (0)
