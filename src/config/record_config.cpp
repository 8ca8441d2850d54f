// SPDX-License-Identifier: MIT
#include "rcls/config/record_config.hpp"

#include <algorithm>

namespace rcls::config {

bool RecordConfig::known_joints(const std::vector<std::string>& joints) {
    const auto& names = kSo101JointNames;
    return std::all_of(joints.begin(), joints.end(), [&](const std::string& joint) {
        return std::find(names.begin(), names.end(), joint) != names.end();
    });
}

bool RecordConfig::locked_positions_valid() const {
    return std::all_of(
        locked_joint_positions.begin(), locked_joint_positions.end(), [&](const auto& entry) {
            return std::find(locked_joints.begin(), locked_joints.end(), entry.first) !=
                   locked_joints.end();
        });
}

}  // namespace rcls::config
