#pragma once
// Typed errors of every cimba library. Library code throws these; only main() prints them and
// turns them into an exit code (ConfigError: 2, everything else: 1).
#include <stdexcept>
#include <string>

namespace cimba {

/// Base of every error cimba throws on purpose.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Invalid configuration or command-line usage (exit code 2).
class ConfigError : public Error {
 public:
  using Error::Error;
};

/// An argument outside the domain a numerics function accepts (a programming or config bug).
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

/// A file that cannot be read or written.
class IoError : public Error {
 public:
  using Error::Error;
};

/// A file whose content does not follow its format (safetensors, JSON index, model config...).
class FormatError : public Error {
 public:
  using Error::Error;
};

/// A check the user asked for failed (e.g. a golden comparison out of tolerance).
class CheckFailed : public Error {
 public:
  using Error::Error;
};

}  // namespace cimba
