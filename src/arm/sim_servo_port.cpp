// SPDX-License-Identifier: MIT
#include <algorithm>

#include "rcls/arm/sim_bus.hpp"

namespace rcls::arm {

SimServoPort::SimServoPort(std::shared_ptr<SimBus> bus, std::string name, Clock* clock)
    : bus_(std::move(bus)),
      name_(std::move(name)),
      own_clock_(clock == nullptr ? std::make_unique<VirtualClock>() : nullptr),
      clock_(clock == nullptr ? own_clock_.get() : clock) {}

void SimServoPort::write(std::span<const std::uint8_t> bytes) {
    for (SimBus::Reply& reply : bus_->receive(bytes, clock_->now(), baud_rate_)) {
        const auto position = std::upper_bound(
            incoming_.begin(), incoming_.end(), reply.due,
            [](Clock::time_point due, const Chunk& chunk) { return due < chunk.due; });
        incoming_.insert(position, Chunk{reply.due, std::move(reply.bytes), 0});
    }
}

std::size_t SimServoPort::read(std::span<std::uint8_t> buffer, Clock::time_point deadline) {
    if (incoming_.empty() || incoming_.front().due > deadline) {
        clock_->sleep_until(deadline);
        return 0;
    }
    clock_->sleep_until(incoming_.front().due);
    const Clock::time_point now = clock_->now();
    std::size_t count = 0;
    while (count < buffer.size() && !incoming_.empty() && incoming_.front().due <= now) {
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
    const Clock::time_point now = clock_->now();
    while (!incoming_.empty() && incoming_.front().due <= now) {
        incoming_.pop_front();
    }
}

bool SimServoPort::set_baud_rate(int baud_rate) {
    baud_rate_ = baud_rate;
    return true;
}

std::unique_ptr<SimServoPort> make_sim_port(SimOptions options,
                                            std::string name,
                                            SerialPort::Clock* clock) {
    const SerialPort::Clock::time_point start =
        clock == nullptr ? SerialPort::Clock::time_point{} : clock->now();
    auto bus = std::make_shared<SimBus>(std::move(options), start);
    return std::make_unique<SimServoPort>(std::move(bus), std::move(name), clock);
}

}  // namespace rcls::arm
