// SPDX-License-Identifier: MIT
#include "rcls/core/error.hpp"

#include <cstring>

namespace rcls {

std::string errno_text(int errno_value) {
    char buffer[256];
    // GNU strerror_r returns a pointer that may or may not be `buffer`.
    return ::strerror_r(errno_value, buffer, sizeof buffer);
}

DeviceError::DeviceError(const std::string& message, int errno_value)
    : Error(ExitCode::kDevice, message + ": " + errno_text(errno_value)) {}

DataError::DataError(const std::string& message, int errno_value)
    : Error(ExitCode::kData, message + ": " + errno_text(errno_value)) {}

}  // namespace rcls
