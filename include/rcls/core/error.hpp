// SPDX-License-Identifier: MIT
//
// The exceptions rcls throws on purpose. Each carries the exit code `rcls` returns when it
// reaches main() (README, "Exit codes"). Messages are one line: "<where>: <what is wrong>[; <what
// to do>]", naming the file, JSON pointer, device or frame.
#pragma once

#include <stdexcept>
#include <string>

namespace rcls {

/// Exit codes of the `rcls` binary. Stable: scripts depend on them.
enum class ExitCode : int {
    kOk = 0,
    kInternal = 1,  ///< A bug: an exception rcls did not mean to throw.
    kUsage = 2,     ///< Bad command line.
    kConfig = 3,    ///< A config file or option value is missing or invalid.
    kDevice = 4,    ///< Camera or servo bus failed, or gave no valid reply.
    kData = 5,      ///< Input data (dataset, video, image) missing, corrupt or unsupported.
    kModel = 6,     ///< Checkpoint missing, corrupt or incompatible.
    /// The command ran, but a quality gate (`rcls eval --fail-under/--fail-over`) failed.
    kGateFailed = 7,
    kInterrupted = 130,
};

/// Base of every rcls exception. Only main() and documented retry loops catch it.
class Error : public std::runtime_error {
public:
    Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
    ExitCode code() const noexcept { return code_; }

private:
    ExitCode code_;
};

/// The command line is inconsistent in a way CLI11 cannot see (exit 2).
class UsageError : public Error {
public:
    explicit UsageError(const std::string& message) : Error(ExitCode::kUsage, message) {}
};

/// A config file or an option value is invalid (exit 3).
class ConfigError : public Error {
public:
    explicit ConfigError(const std::string& message) : Error(ExitCode::kConfig, message) {}
};

/// A device (camera, serial port, servo) failed (exit 4).
class DeviceError : public Error {
public:
    explicit DeviceError(const std::string& message) : Error(ExitCode::kDevice, message) {}
    /// Appends the text of `errno_value`, e.g. "open /dev/ttyUSB0: Permission denied".
    DeviceError(const std::string& message, int errno_value);
};

/// Input or output data is missing, unreadable or corrupt (exit 5).
class DataError : public Error {
public:
    explicit DataError(const std::string& message) : Error(ExitCode::kData, message) {}
    /// Appends the text of `errno_value`.
    DataError(const std::string& message, int errno_value);
};

/// A checkpoint or model file is missing, corrupt or incompatible (exit 6).
class ModelError : public Error {
public:
    explicit ModelError(const std::string& message) : Error(ExitCode::kModel, message) {}
};

/// The user pressed Ctrl-C (or the process got SIGTERM) and the command stopped early (exit 130).
class InterruptedError : public Error {
public:
    explicit InterruptedError(const std::string& message = "interrupted")
        : Error(ExitCode::kInterrupted, message) {}
};

/// The text of an errno value, e.g. "No such file or directory".
std::string errno_text(int errno_value);

}  // namespace rcls
