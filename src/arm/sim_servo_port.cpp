// SPDX-License-Identifier: MIT
#include <algorithm>

#include "rcls/arm/sim_bus.hpp"

namespace rcls::arm {

SimServoPort::SimServoPort(std::shared_ptr<SimBus> bus, std::string name)
    : bus_(std::move(bus)), name_(std::move(name)) {}

void SimServoPort::write(std::span<const std::uint8_t> bytes) {
    for (SimBus::Reply& reply : bus_->receive(bytes, now_, baud_rate_)) {
        const auto position = std::upper_bound(
            incoming_.begin(), incoming_.end(), reply.due,
            [](Clock::time_point due, const Chunk& chunk) { return due < chunk.due; });
        incoming_.insert(position, Chunk{reply.due, std::move(reply.bytes), 0});
    }
}

std::size_t SimServoPort::read(std::span<std::uint8_t> buffer, Clock::time_point deadline) {
    if (incoming_.empty() || incoming_.front().due > deadline) {
        now_ = std::max(now_, deadline);
        return 0;
    }
    now_ = std::max(now_, incoming_.front().due);
    std::size_t count = 0;
    while (count < buffer.size() && !incoming_.empty() && incoming_.front().due <= now_) {
        Chunk& chunk = incoming_.front();
        const std::size_t n = std::min(buffer.size() - count, chunk.bytes.size() - chunk.offset);
        std::copy_n(chunk.bytes.begin() + static_cast<std::ptrdiff_t>(chunk.offset), n,
                    buffer.begin() + static_cast<std::ptrdiff_t>(count));
        count += n;
        chunk.offset += n;
        if (chunk.offset == chunk.bytes.size()) incoming_.pop_front();
    }
    return count;
}

void SimServoPort::flush_input() {
    // Only what has arrived by now is dropped; late replies still come, as on a real line.
    while (!incoming_.empty() && incoming_.front().due <= now_) {
        incoming_.pop_front();
    }
}

bool SimServoPort::set_baud_rate(int baud_rate) {
    baud_rate_ = baud_rate;
    return true;
}

void SimServoPort::sleep_until(Clock::time_point time) {
    now_ = std::max(now_, time);
}

std::unique_ptr<SimServoPort> make_sim_port(SimOptions options, std::string name) {
    auto bus = std::make_shared<SimBus>(std::move(options), SerialPort::Clock::time_point{});
    return std::make_unique<SimServoPort>(std::move(bus), std::move(name));
}

}  // namespace rcls::arm
