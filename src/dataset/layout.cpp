// SPDX-License-Identifier: MIT
#include "rcls/dataset/layout.hpp"

#include <cstdio>

#include "rcls/core/error.hpp"

namespace rcls::dataset {

std::string format_path(const std::string& pattern, const PathFields& fields) {
    std::string out;
    std::size_t i = 0;
    while (i < pattern.size()) {
        const char c = pattern[i];
        if (c == '{' && i + 1 < pattern.size() && pattern[i + 1] == '{') {
            out.push_back('{');
            i += 2;
            continue;
        }
        if (c == '}' && i + 1 < pattern.size() && pattern[i + 1] == '}') {
            out.push_back('}');
            i += 2;
            continue;
        }
        if (c != '{') {
            out.push_back(c);
            ++i;
            continue;
        }
        const std::size_t close = pattern.find('}', i);
        if (close == std::string::npos) {
            throw DataError("path template \"" + pattern + "\": unclosed {");
        }
        const std::string field = pattern.substr(i + 1, close - i - 1);
        const std::size_t colon = field.find(':');
        const std::string name = field.substr(0, colon);
        const std::string spec = colon == std::string::npos ? "" : field.substr(colon + 1);
        if (const auto s = fields.strings.find(name); s != fields.strings.end()) {
            if (!spec.empty()) {
                throw DataError("path template \"" + pattern + "\": format spec on text field {" +
                                name + "}");
            }
            out += s->second;
        } else if (const auto n = fields.ints.find(name); n != fields.ints.end()) {
            int width = 0;
            if (!spec.empty()) {
                // Only "0Nd" and "d" occur in LeRobot's templates.
                if (spec.back() != 'd') {
                    throw DataError("path template \"" + pattern +
                                    "\": unsupported format spec \"" + spec + "\"");
                }
                for (std::size_t k = 0; k + 1 < spec.size(); ++k) {
                    if (spec[k] < '0' || spec[k] > '9') {
                        throw DataError("path template \"" + pattern +
                                        "\": unsupported format spec \"" + spec + "\"");
                    }
                    width = width * 10 + (spec[k] - '0');
                }
            }
            char buffer[64];
            std::snprintf(buffer, sizeof(buffer), "%0*lld", width,
                          static_cast<long long>(n->second));
            out += buffer;
        } else {
            throw DataError("path template \"" + pattern + "\": unknown field {" + name + "}");
        }
        i = close + 1;
    }
    return out;
}

ChunkFile next_chunk_file(ChunkFile at, std::int64_t chunks_size) {
    ++at.file;
    if (at.file >= chunks_size) {
        ++at.chunk;
        at.file = 0;
    }
    return at;
}

}  // namespace rcls::dataset
