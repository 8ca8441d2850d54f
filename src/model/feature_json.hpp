// SPDX-License-Identifier: MIT
//
// LeRobot's JSON form of a feature map: {"<key>": {"type": "VISUAL", "shape": [3, 128, 128]}},
// used by config.json and by the processor pipeline files.
#pragma once

#include <nlohmann/json.hpp>

#include "rcls/model/classifier_config.hpp"

namespace rcls::model::detail {

inline nlohmann::ordered_json features_json(const Dict<Feature>& features) {
    nlohmann::ordered_json out = nlohmann::ordered_json::object();
    for (const auto& [key, feature] : features) {
        out[key] = nlohmann::ordered_json{{"type", feature.type}, {"shape", feature.shape}};
    }
    return out;
}

}  // namespace rcls::model::detail
