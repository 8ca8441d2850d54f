// SPDX-License-Identifier: MIT
#include "rcls/arm/control_table.hpp"

#include <string>
#include <vector>

#include "rcls/arm/protocol.hpp"
#include "rcls/core/error.hpp"
#include "rcls/core/strings.hpp"

namespace rcls::arm {

const Register& find_register(std::string_view name) {
    if (const Register* reg = try_find_register(name)) return *reg;
    std::vector<std::string> names;
    for (const Register& reg : kSts3215Registers) {
        names.emplace_back(reg.name);
    }
    throw ConfigError("unknown STS3215 register \"" + std::string(name) + "\"" +
                      did_you_mean(name, names));
}

std::optional<int> baud_rate_for_code(std::uint8_t code) {
    for (const BaudCode& entry : kBaudRateTable) {
        if (entry.code == code) return entry.baud_rate;
    }
    return std::nullopt;
}

std::optional<std::uint8_t> code_for_baud_rate(int baud_rate) {
    for (const BaudCode& entry : kBaudRateTable) {
        if (entry.baud_rate == baud_rate) return entry.code;
    }
    return std::nullopt;
}

int decode_value(const Register& reg, std::span<const std::uint8_t> bytes) {
    const std::uint32_t raw = protocol::from_little_endian(bytes);
    return reg.sign_bit != 0 ? protocol::decode_sign_magnitude(raw, reg.sign_bit)
                             : static_cast<int>(raw);
}

}  // namespace rcls::arm
