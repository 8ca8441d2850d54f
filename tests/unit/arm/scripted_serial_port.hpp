// SPDX-License-Identifier: MIT
//
// A SerialPort test double: records every write and flush, and answers each write with the next
// scripted reply (an empty reply, or an empty script, is a timeout). Time is virtual: a read that
// finds nothing jumps to its deadline, so timeouts cost no wall-clock time.
#pragma once

#include <deque>
#include <vector>

#include "rcls/arm/serial_port.hpp"

namespace rcls::arm::testing {

using Bytes = std::vector<std::uint8_t>;

class ScriptedSerialPort final : public SerialPort {
public:
    /// Queues the bytes that arrive after the next write (one entry per write).
    void push_reply(Bytes reply) { replies_.push_back(std::move(reply)); }

    const std::vector<Bytes>& writes() const { return writes_; }
    int flushes() const { return flushes_; }
    /// Virtual time spent waiting on deadlines.
    Clock::duration waited() const { return clock_.now() - Clock::time_point{}; }

    const std::string& name() const override { return name_; }

    void write(std::span<const std::uint8_t> bytes) override {
        writes_.emplace_back(bytes.begin(), bytes.end());
        if (!replies_.empty()) {
            const Bytes& next = replies_.front();
            incoming_.insert(incoming_.end(), next.begin(), next.end());
            replies_.pop_front();
        }
    }

    std::size_t read(std::span<std::uint8_t> buffer, Clock::time_point deadline) override {
        if (incoming_.empty()) {
            clock_.sleep_until(deadline);
            return 0;
        }
        std::size_t n = 0;
        while (n < buffer.size() && !incoming_.empty()) {
            buffer[n++] = incoming_.front();
            incoming_.pop_front();
        }
        return n;
    }

    void flush_input() override {
        ++flushes_;
        incoming_.clear();
    }

    bool set_baud_rate(int baud_rate) override {
        baud_rate_ = baud_rate;
        return true;
    }
    int baud_rate() const override { return baud_rate_; }
    Clock& clock() const override { return clock_; }

private:
    std::string name_ = "/dev/ttyTEST";
    std::deque<Bytes> replies_;
    std::deque<std::uint8_t> incoming_;
    std::vector<Bytes> writes_;
    int flushes_ = 0;
    int baud_rate_ = kDefaultBaudRate;
    mutable VirtualClock clock_;
};

}  // namespace rcls::arm::testing
