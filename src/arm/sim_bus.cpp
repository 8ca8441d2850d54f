// SPDX-License-Identifier: MIT
//
// The servo model behind `rcls arm sim`. Assumptions where the servo's behaviour is unverified
// (feetech_sts3215.md §8): a packet with a bad checksum gets no reply; writes to read-only
// addresses are ignored and acknowledged; the reply to an id or baud-rate write uses the old id and
// speed; Goal_Position is clamped to the position limits; turning torque on holds the present
// position; broadcast PING replies go out in ascending id order.
#include "rcls/arm/sim_bus.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numbers>

#include "rcls/arm/control_table.hpp"
#include "rcls/core/error.hpp"

namespace rcls::arm {
namespace {

using protocol::Bytes;
using protocol::Instruction;

constexpr int kFactoryFirmwareMajor = 3;
constexpr int kFactoryFirmwareMinor = 10;
constexpr int kOldFirmwareMinor = 9;
constexpr int kOtherModelNumber = 2825;  // STS3250
constexpr int kMultiTurnBit = 0x10;
constexpr auto kDelayFault = std::chrono::milliseconds(100);

/// A person's sweep of one joint, in encoder steps: center + amplitude * sin(2 pi t / period).
/// Ranges stay under 2048 steps wide, so that any pose taken as the middle in calibration keeps
/// the whole range inside 0..4095 after the half-turn homing.
struct Sweep {
    double center;
    double amplitude;
    double period_s;
};

constexpr std::array<Sweep, 6> kSweeps = {{
    {2198, 900, 4.0},  // shoulder_pan
    {1848, 950, 4.6},  // shoulder_lift
    {2298, 950, 5.2},  // elbow_flex
    {1948, 900, 3.8},  // wrist_flex
    {2048, 950, 6.0},  // wrist_roll
    {2348, 600, 3.0},  // gripper
}};

constexpr std::array<bool, 256> make_read_only_map() {
    std::array<bool, 256> map{};
    map[2] = true;
    for (const Register& reg : kSts3215Registers) {
        if (!reg.read_only) continue;
        for (int i = 0; i < reg.size; ++i) {
            map[reg.address + i] = true;
        }
    }
    return map;
}

constexpr std::array<bool, 256> kReadOnly = make_read_only_map();

bool contains(const std::vector<std::uint8_t>& ids, std::uint8_t id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
}

double seconds(std::chrono::steady_clock::duration d) {
    return std::chrono::duration<double>(d).count();
}

std::chrono::steady_clock::duration to_duration(double s) {
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(s));
}

}  // namespace

std::optional<FaultRate> parse_fault_rate(std::string_view text) {
    auto parse_double = [](std::string_view s) -> std::optional<double> {
        double value = 0;
        const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), value);
        if (error != std::errc() || end != s.data() + s.size()) return std::nullopt;
        return value;
    };
    FaultRate rate;
    if (const auto slash = text.find('/'); slash != std::string_view::npos) {
        int numerator = 0;
        int every = 0;
        const std::string_view top = text.substr(0, slash);
        const std::string_view bottom = text.substr(slash + 1);
        if (std::from_chars(top.data(), top.data() + top.size(), numerator).ec != std::errc() ||
            std::from_chars(bottom.data(), bottom.data() + bottom.size(), every).ec !=
                std::errc() ||
            numerator != 1 || every < 1) {
            return std::nullopt;
        }
        rate.every = every;
        return rate;
    }
    const bool percent = !text.empty() && text.back() == '%';
    const auto value = parse_double(percent ? text.substr(0, text.size() - 1) : text);
    if (!value) return std::nullopt;
    rate.probability = percent ? *value / 100.0 : *value;
    if (rate.probability < 0.0 || rate.probability > 1.0) return std::nullopt;
    return rate;
}

std::string to_string(const FaultRate& rate) {
    if (rate.every > 0) return "1/" + std::to_string(rate.every);
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%g%%", rate.probability * 100.0);
    return buffer;
}

struct SimBus::Servo {
    std::array<std::uint8_t, 256> memory{};
    std::array<std::uint8_t, kEepromEnd> saved{};  ///< EEPROM as kept across power cycles.
    double actual = 2048;                          ///< Encoder position, steps.
    double phase = 0;                              ///< Of the person's sweep.
    bool plugged = true;
    bool written = false;  ///< Written to since plugged in (factory set-up).
    bool missing = false;
    std::optional<std::pair<std::uint8_t, Bytes>> registered;  ///< REG_WRITE awaiting ACTION.

    std::uint8_t id() const { return memory[5]; }

    int get(const Register& reg) const {
        return decode_value(reg, std::span(memory).subspan(reg.address, reg.size));
    }

    void put(const Register& reg, int value) {
        std::uint32_t raw = static_cast<std::uint32_t>(value);
        if (reg.sign_bit != 0) {
            const int limit = (1 << reg.sign_bit) - 1;
            raw = *protocol::encode_sign_magnitude(std::clamp(value, -limit, limit), reg.sign_bit);
        }
        const Bytes bytes = protocol::to_little_endian(raw, reg.size);
        std::copy(bytes.begin(), bytes.end(), memory.begin() + reg.address);
    }

    int baud_rate() const { return baud_rate_for_code(memory[6]).value_or(kDefaultBaudRate); }

    const Sweep& sweep() const { return kSweeps[(id() + kSweeps.size() - 1) % kSweeps.size()]; }

    double person_target(double t) const {
        const Sweep& s = sweep();
        return s.center + s.amplitude * std::sin(2.0 * std::numbers::pi * t / s.period_s + phase);
    }

    /// Present_Position for the current encoder position: Actual - Homing_Offset, wrapped to one
    /// turn unless Phase bit 4 (multi-turn) is set.
    int present_from_actual() const {
        static const Register& offset = find_register("Homing_Offset");
        static const Register& phase_reg = find_register("Phase");
        int present = static_cast<int>(std::lround(actual)) - get(offset);
        if ((get(phase_reg) & kMultiTurnBit) == 0) {
            present = ((present % kResolution) + kResolution) % kResolution;
        }
        return present;
    }

    /// Encoder position the servo drives to: the goal clamped to the limits, plus the offset.
    double goal_actual() const {
        static const Register& goal_reg = find_register("Goal_Position");
        static const Register& min_reg = find_register("Min_Position_Limit");
        static const Register& max_reg = find_register("Max_Position_Limit");
        static const Register& offset = find_register("Homing_Offset");
        int goal = get(goal_reg);
        const int min = get(min_reg);
        const int max = get(max_reg);
        if (min < max) goal = std::clamp(goal, min, max);
        const int target = goal + get(offset);
        return static_cast<double>(((target % kResolution) + kResolution) % kResolution);
    }

    void refresh_present(double velocity) {
        static const Register& present = find_register("Present_Position");
        static const Register& speed = find_register("Present_Velocity");
        put(present, present_from_actual());
        put(speed, static_cast<int>(std::lround(velocity)));
    }

    void reset_ram() {
        std::fill(memory.begin() + kEepromEnd, memory.end(), std::uint8_t{0});
        put(find_register("Torque_Limit"), get(find_register("Max_Torque_Limit")));
        put(find_register("Lock"), 1);
        put(find_register("Present_Voltage"), 74);
        put(find_register("Present_Temperature"), 31);
        put(find_register("Moving_Velocity_Threshold"), 1);
        put(find_register("Maximum_Velocity_Limit"), 80);
        put(find_register("Maximum_Acceleration"), 254);
        refresh_present(0.0);
        put(find_register("Goal_Position"), present_from_actual());
    }

    void write_bytes(std::uint8_t address, std::span<const std::uint8_t> data) {
        static const Register& torque = find_register("Torque_Enable");
        static const Register& lock = find_register("Lock");
        static const Register& goal = find_register("Goal_Position");
        const int torque_before = get(torque);
        for (std::size_t i = 0; i < data.size(); ++i) {
            const std::size_t a = address + i;
            if (a >= memory.size()) break;
            if (kReadOnly[a]) continue;
            memory[a] = data[i];
            if (a < kEepromEnd && get(lock) == 0) saved[a] = data[i];
        }
        written = true;
        if (torque_before == 0 && get(torque) == 1) put(goal, present_from_actual());
    }
};

SimBus::SimBus(SimOptions options, Clock::time_point start)
    : options_(std::move(options)), start_(start), last_update_(start), rng_(options_.seed) {
    const bool factory = options_.factory_setup;
    const std::uint8_t baud_code =
        code_for_baud_rate(factory ? options_.factory_baud_rate : kDefaultBaudRate).value_or(0);
    std::uniform_real_distribution<double> phase(0.0, 2.0 * std::numbers::pi);
    for (const std::uint8_t target_id : options_.ids) {
        auto servo = std::make_unique<Servo>();
        Servo& s = *servo;
        const SimFaults& faults = options_.faults;
        s.memory[5] = factory ? 1 : target_id;
        s.put(find_register("Firmware_Major_Version"), kFactoryFirmwareMajor);
        s.put(find_register("Firmware_Minor_Version"), contains(faults.old_firmware_ids, target_id)
                                                           ? kOldFirmwareMinor
                                                           : kFactoryFirmwareMinor);
        s.put(find_register("Model_Number"), contains(faults.wrong_model_ids, target_id)
                                                 ? kOtherModelNumber
                                                 : kSts3215ModelNumber);
        s.memory[6] = baud_code;
        s.put(find_register("Return_Delay_Time"), 250);  // factory: 500 us; LeRobot writes 0
        s.put(find_register("Response_Status_Level"), 1);
        s.put(find_register("Max_Position_Limit"), 4095);
        s.put(find_register("Max_Temperature_Limit"), 70);
        s.put(find_register("Max_Voltage_Limit"), 80);
        s.put(find_register("Min_Voltage_Limit"), 40);
        s.put(find_register("Max_Torque_Limit"), 1000);
        s.put(find_register("P_Coefficient"), 32);
        s.put(find_register("D_Coefficient"), 32);
        s.put(find_register("Minimum_Startup_Force"), 16);
        s.put(find_register("Protection_Current"), 500);
        s.put(find_register("Angular_Resolution"), 1);
        s.put(find_register("Protective_Torque"), 20);
        s.put(find_register("Protection_Time"), 200);
        s.put(find_register("Overload_Torque"), 80);
        std::copy(s.memory.begin(), s.memory.begin() + kEepromEnd, s.saved.begin());
        s.phase = phase(rng_);
        s.actual = options_.motion == SimMotion::kPerson ? s.person_target(0.0) : s.sweep().center;
        s.missing = !factory && contains(faults.missing_ids, target_id);
        s.plugged = !factory || servos_.empty();
        s.reset_ram();
        servos_.push_back(std::move(servo));
    }
}

SimBus::~SimBus() = default;

void SimBus::advance(Clock::time_point now) {
    if (now <= last_update_) return;
    static const Register& torque = find_register("Torque_Enable");
    static const Register& moving = find_register("Moving");
    const double dt = seconds(now - last_update_);
    const double t = seconds(now - start_);
    last_update_ = now;
    const double max_step = options_.speed_steps_per_s * dt;
    for (auto& servo : servos_) {
        Servo& s = *servo;
        const bool torque_on = s.get(torque) == 1;
        double target = s.actual;
        if (torque_on) {
            target = s.goal_actual();
        } else if (options_.motion == SimMotion::kPerson) {
            target = s.person_target(t);
        }
        const double before = s.actual;
        s.actual = std::clamp(before + std::clamp(target - before, -max_step, max_step), 0.0,
                              static_cast<double>(kResolution - 1));
        s.put(moving, torque_on && std::abs(target - s.actual) > 1.0 ? 1 : 0);
        s.refresh_present((s.actual - before) / dt);
    }
}

SimBus::Servo* SimBus::find_servo(std::uint8_t id, int host_baud_rate) {
    for (auto& servo : servos_) {
        Servo& s = *servo;
        if (!s.plugged || s.missing || s.id() != id) continue;
        if (host_baud_rate != 0 && host_baud_rate != s.baud_rate()) continue;
        return &s;
    }
    return nullptr;
}

const SimBus::Servo* SimBus::find_any(std::uint8_t id) const {
    for (const auto& servo : servos_) {
        if (servo->plugged && servo->id() == id) return servo.get();
    }
    return nullptr;
}

void SimBus::plug_next_motor() {
    if (!options_.factory_setup || assembled_ || setup_index_ >= servos_.size()) return;
    Servo& current = *servos_[setup_index_];
    if (!current.written) return;
    current.plugged = false;
    ++setup_index_;
    if (setup_index_ < servos_.size()) {
        servos_[setup_index_]->plugged = true;
        servos_[setup_index_]->written = false;
        return;
    }
    for (auto& servo : servos_) {
        servo->plugged = true;
    }
    assembled_ = true;
}

void SimBus::handle(const protocol::Packet& packet,
                    int host_baud_rate,
                    std::vector<std::pair<const Servo*, Bytes>>& replies) {
    const bool broadcast = packet.id == protocol::kBroadcastId;
    const auto& params = packet.params;
    auto error_of = [this](const Servo& s) -> std::uint8_t {
        return contains(options_.faults.error_ids, s.id()) ? options_.faults.error_bits : 0;
    };
    auto acknowledge = [&](const Servo& s) {
        // Response_Status_Level 0: only PING and READ are answered.
        if (!broadcast && s.memory[8] != 0) {
            replies.emplace_back(&s, protocol::encode_status(packet.id, error_of(s)));
        }
    };
    auto targets = [&]() {
        std::vector<Servo*> found;
        if (broadcast) {
            for (auto& servo : servos_) {
                if (find_servo(servo->id(), host_baud_rate) == servo.get()) {
                    found.push_back(servo.get());
                }
            }
        } else if (Servo* s = find_servo(packet.id, host_baud_rate)) {
            found.push_back(s);
        }
        return found;
    };

    switch (static_cast<Instruction>(packet.code)) {
        case Instruction::kPing: {
            if (broadcast) plug_next_motor();
            std::vector<Servo*> found = targets();
            std::sort(found.begin(), found.end(),
                      [](const Servo* a, const Servo* b) { return a->id() < b->id(); });
            for (const Servo* s : found) {
                replies.emplace_back(s, protocol::encode_status(s->id(), error_of(*s)));
            }
            break;
        }
        case Instruction::kRead: {
            if (broadcast || params.size() != 2) break;
            const std::size_t address = params[0];
            const std::size_t length = params[1];
            if (length == 0 || address + length > 256) break;
            if (const Servo* s = find_servo(packet.id, host_baud_rate)) {
                const auto data = std::span(s->memory).subspan(address, length);
                replies.emplace_back(s, protocol::encode_status(packet.id, error_of(*s), data));
            }
            break;
        }
        case Instruction::kWrite:
        case Instruction::kRegWrite: {
            if (params.size() < 2) break;
            const auto data = std::span(params).subspan(1);
            const bool deferred = static_cast<Instruction>(packet.code) == Instruction::kRegWrite;
            for (Servo* s : targets()) {
                if (deferred) {
                    s->registered = std::make_pair(params[0], Bytes(data.begin(), data.end()));
                } else {
                    s->write_bytes(params[0], data);
                }
                acknowledge(*s);
            }
            break;
        }
        case Instruction::kAction: {
            for (Servo* s : targets()) {
                if (s->registered) {
                    s->write_bytes(s->registered->first, s->registered->second);
                    s->registered.reset();
                }
                acknowledge(*s);
            }
            break;
        }
        case Instruction::kSyncRead: {
            if (!broadcast || params.size() < 3) break;
            const std::size_t address = params[0];
            const std::size_t length = params[1];
            if (length == 0 || address + length > 256) break;
            for (std::size_t i = 2; i < params.size(); ++i) {
                if (const Servo* s = find_servo(params[i], host_baud_rate)) {
                    const auto data = std::span(s->memory).subspan(address, length);
                    replies.emplace_back(s, protocol::encode_status(params[i], error_of(*s), data));
                }
            }
            break;
        }
        case Instruction::kSyncWrite: {
            if (!broadcast || params.size() < 2 || params[1] == 0) break;
            const std::uint8_t address = params[0];
            const std::size_t length = params[1];
            for (std::size_t i = 2; i + length < params.size(); i += length + 1) {
                if (Servo* s = find_servo(params[i], host_baud_rate)) {
                    s->write_bytes(address, std::span(params).subspan(i + 1, length));
                }
            }
            break;
        }
        default:
            break;  // unknown instruction: no reply
    }
}

bool SimBus::hits(const FaultRate& rate, std::uint64_t& counter) {
    if (!rate.active()) return false;
    ++counter;
    if (rate.every > 0) return counter % static_cast<std::uint64_t>(rate.every) == 0;
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < rate.probability;
}

std::vector<SimBus::Reply> SimBus::receive(std::span<const std::uint8_t> bytes,
                                           Clock::time_point now,
                                           int host_baud_rate) {
    std::lock_guard lock(mutex_);
    advance(now);
    input_.insert(input_.end(), bytes.begin(), bytes.end());
    std::vector<std::pair<const Servo*, Bytes>> produced;
    while (true) {
        const protocol::ParseResult parsed = protocol::parse_instruction(input_);
        input_.erase(input_.begin(), input_.begin() + static_cast<std::ptrdiff_t>(parsed.consumed));
        if (parsed.status == protocol::ParseStatus::kIncomplete) break;
        if (parsed.status == protocol::ParseStatus::kBadChecksum) {
            ++stats_.bad_requests;
            continue;
        }
        ++stats_.requests;
        if (options_.log_requests) {
            log_.push_back(protocol::encode_packet(parsed.packet.id, parsed.packet.code,
                                                   parsed.packet.params));
        }
        handle(parsed.packet, host_baud_rate, produced);
    }
    if (input_.size() > 4 * protocol::kMaxPacketSize) input_.clear();  // endless noise

    const SimFaults& faults = options_.faults;
    const int line_baud = host_baud_rate > 0 ? host_baud_rate : kDefaultBaudRate;
    auto wire = [&](std::size_t count, int baud) {
        return options_.wire_time ? to_duration(10.0 * static_cast<double>(count) / baud)
                                  : Clock::duration::zero();
    };
    Clock::time_point t = now + wire(bytes.size(), line_baud);
    std::vector<Reply> out;
    if (faults.echo && !bytes.empty()) {
        // The host's own bytes come straight back, as they leave it.
        out.push_back({Bytes(bytes.begin(), bytes.end()), t});
    }
    std::uniform_int_distribution<int> noise(0, 255);
    for (auto& [servo, reply] : produced) {
        ++stats_.replies;
        static const Register& delay_reg = find_register("Return_Delay_Time");
        t += std::chrono::microseconds(2 * servo->get(delay_reg));
        if (hits(faults.drop, fault_counters_[0])) {
            ++stats_.dropped;
            continue;
        }
        Bytes b = std::move(reply);
        if (hits(faults.corrupt, fault_counters_[1])) {
            b.back() = static_cast<std::uint8_t>(b.back() ^ 0x5A);
            ++stats_.corrupted;
        } else if (hits(faults.truncate, fault_counters_[2])) {
            b.resize(std::uniform_int_distribution<std::size_t>(1, b.size() - 1)(rng_));
            ++stats_.truncated;
        }
        if (hits(faults.garbage, fault_counters_[3])) {
            const int count = std::uniform_int_distribution<int>(1, 6)(rng_);
            Bytes noisy;
            for (int i = 0; i < count; ++i) {
                noisy.push_back(static_cast<std::uint8_t>(noise(rng_)));
            }
            noisy.insert(noisy.end(), b.begin(), b.end());
            b = std::move(noisy);
            ++stats_.garbage;
        }
        Clock::time_point due = t + wire(b.size(), servo->baud_rate());
        t = due;
        if (hits(faults.delay, fault_counters_[4])) {
            due += kDelayFault;
            ++stats_.delayed;
        }
        out.push_back({std::move(b), due});
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const Reply& a, const Reply& b) { return a.due < b.due; });
    return out;
}

std::optional<int> SimBus::register_value(std::uint8_t id, std::string_view name) const {
    std::lock_guard lock(mutex_);
    const Servo* s = find_any(id);
    if (s == nullptr) return std::nullopt;
    return s->get(find_register(name));
}

void SimBus::set_register(std::uint8_t id, std::string_view name, int value) {
    std::lock_guard lock(mutex_);
    for (auto& servo : servos_) {
        if (servo->id() != id) continue;
        const Register& reg = find_register(name);
        servo->put(reg, value);
        if (reg.address < kEepromEnd) {
            std::copy(servo->memory.begin(), servo->memory.begin() + kEepromEnd,
                      servo->saved.begin());
        }
        servo->refresh_present(0.0);
    }
}

void SimBus::set_actual_position(std::uint8_t id, double steps) {
    std::lock_guard lock(mutex_);
    for (auto& servo : servos_) {
        if (servo->id() != id) continue;
        servo->actual = std::clamp(steps, 0.0, static_cast<double>(kResolution - 1));
        servo->refresh_present(0.0);
    }
}

double SimBus::actual_position(std::uint8_t id) const {
    std::lock_guard lock(mutex_);
    const Servo* s = find_any(id);
    return s != nullptr ? s->actual : 0.0;
}

void SimBus::power_cycle() {
    std::lock_guard lock(mutex_);
    for (auto& servo : servos_) {
        std::copy(servo->saved.begin(), servo->saved.end(), servo->memory.begin());
        servo->registered.reset();
        servo->reset_ram();
    }
}

std::vector<protocol::Bytes> SimBus::request_log() const {
    std::lock_guard lock(mutex_);
    return log_;
}

std::vector<std::uint8_t> SimBus::connected_ids() const {
    std::lock_guard lock(mutex_);
    std::vector<std::uint8_t> ids;
    for (const auto& servo : servos_) {
        if (servo->plugged && !servo->missing) ids.push_back(servo->id());
    }
    std::sort(ids.begin(), ids.end());
    return ids;
}

SimStats SimBus::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

Calibration simulated_calibration() {
    static constexpr std::array<std::string_view, 6> kNames = {
        "shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"};
    constexpr std::size_t kWristRollIndex = 4;
    Calibration calibration;
    for (std::size_t i = 0; i < kSweeps.size(); ++i) {
        const Sweep& sweep = kSweeps[i];
        const bool full_turn = i == kWristRollIndex;
        const int low =
            full_turn ? 0 : static_cast<int>(std::lround(sweep.center - sweep.amplitude));
        const int high = full_turn ? kResolution - 1
                                   : static_cast<int>(std::lround(sweep.center + sweep.amplitude));
        calibration.emplace_back(std::string(kNames[i]),
                                 MotorCalibration{static_cast<int>(i) + 1, 0, 0, low, high});
    }
    return calibration;
}

}  // namespace rcls::arm
