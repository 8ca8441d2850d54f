// SPDX-License-Identifier: MIT
#include "rcls/arm_tools/prompter.hpp"

#include <cstdio>

#include "rcls/core/events.hpp"
#include "rcls/core/interrupt.hpp"

namespace rcls::arm_tools {
namespace {

void notice(const std::string& text) {
    emit(NoticeEvent{"prompt", text, ""});
}

}  // namespace

AutoPrompter::AutoPrompter(double phase_s, Clock& clock) : phase_s_(phase_s), clock_(clock) {}

std::string AutoPrompter::ask(const std::string& message) {
    throw_if_interrupted();
    notice(message + "[--yes: Enter]");
    return "";
}

void AutoPrompter::begin_until_enter(const std::string& message) {
    char phase[64];
    std::snprintf(phase, sizeof phase, "[--yes: Enter in %.1f s]", phase_s_);
    notice(message);
    notice(phase);
    phase_start_ = clock_.now();
}

bool AutoPrompter::stop_requested() {
    throw_if_interrupted();
    return seconds_between(phase_start_, clock_.now()) >= phase_s_;
}

void AutoPrompter::show_status(const std::string&) {}

void AutoPrompter::say(const std::string& text) {
    notice(text);
}

}  // namespace rcls::arm_tools
