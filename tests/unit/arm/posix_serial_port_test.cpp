// SPDX-License-Identifier: MIT
//
// The real serial port driver end to end: PosixSerialPort on the pseudo-terminal that
// PtySimServer serves (real time, but every wait is bounded by a protocol deadline; no sleeps).
// Also the driver's one-line errors for a missing, busy or non-serial port.
#include <grp.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "rcls/arm/serial_port.hpp"
#include "rcls/arm/servo_bus.hpp"
#include "rcls/arm/sim_bus.hpp"
#include "rcls/arm/so101.hpp"
#include "rcls/core/error.hpp"

#include "temp_dir.hpp"
#include <sys/stat.h>
#include <sys/wait.h>

namespace rcls::arm {
namespace {

class PtyTest : public ::testing::Test {
protected:
    void serve(SimOptions options = {}) {
        bus_ = std::make_shared<SimBus>(std::move(options), steady_clock().now());
        server_ = std::make_unique<PtySimServer>(bus_, dir_ / "so101");
        server_->start();
    }

    testing::TempDir dir_;
    std::shared_ptr<SimBus> bus_;
    std::unique_ptr<PtySimServer> server_;
};

TEST_F(PtyTest, DriverTalksToTheSimulatorThroughALink) {
    serve();
    EXPECT_EQ(server_->path(), (dir_ / "so101").string());
    auto port = open_serial_port(server_->path());
    EXPECT_EQ(port->baud_rate(), 1'000'000);
    ServoBus bus(*port);
    EXPECT_EQ(bus.ping(1, 2).result, CommResult::kSuccess);
    EXPECT_EQ(bus.read("Model_Number", 6, 2), 777);
    const std::vector<std::uint8_t> ids{1, 2, 3, 4, 5, 6};
    const std::vector<int> positions = bus.sync_read(find_register("Present_Position"), ids, 2);
    ASSERT_EQ(positions.size(), 6u);
    for (const int p : positions) {
        EXPECT_GE(p, 0);
        EXPECT_LE(p, 4095);
    }
}

TEST_F(PtyTest, TheLinkGoesAwayWithTheServer) {
    serve();
    server_.reset();
    EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(dir_ / "so101")));
}

TEST_F(PtyTest, NonStandardBaudRatesGoThroughTermios2) {
    SimOptions options;
    options.ids = {1};
    serve(options);
    bus_->set_register(1, "Baud_Rate", 2);  // 250000 baud, which has no B-constant
    auto port = open_serial_port(server_->path());
    ServoBus bus(*port);
    EXPECT_EQ(bus.ping(1).result, CommResult::kTimeout);  // the servo hears noise at 1 Mbaud
    ASSERT_TRUE(port->set_baud_rate(250'000));
    EXPECT_EQ(port->baud_rate(), 250'000);
    EXPECT_EQ(bus.ping(1, 2).result, CommResult::kSuccess);
}

TEST_F(PtyTest, ConnectsAndReadsThroughCorruptRepliesOverThePty) {
    SimOptions options;
    options.faults.corrupt = FaultRate{0.05, 0};
    options.seed = 11;
    serve(options);
    const Calibration calibration = [] {
        Calibration c;
        for (std::size_t i = 0; i < kNumJoints; ++i) {
            c.emplace_back(std::string(kJointNames[i]),
                           MotorCalibration{kJointIds[i], 0, 0, 0, 4095});
        }
        return c;
    }();
    save_calibration(dir_ / "calibration/arm.json", calibration);
    ArmOptions arm_options;
    arm_options.port = server_->path();
    arm_options.id = "arm";
    arm_options.calibration_dir = (dir_ / "calibration").string();
    So101Arm arm(arm_options);
    TorqueOffGuard guard(arm);
    arm.connect();
    for (int i = 0; i < 50; ++i)
        arm.read_positions();
    EXPECT_GT(arm.bus().stats().retries, 0u);
    EXPECT_GT(bus_->stats().corrupted, 0u);
}

TEST(PosixSerialPort, MissingPortSaysWhatToDo) {
    try {
        open_serial_port("/dev/ttyRCLS_NO_SUCH_PORT");
        FAIL() << "no error";
    } catch (const DeviceError& e) {
        EXPECT_STREQ(e.what(),
                     "serial port /dev/ttyRCLS_NO_SUCH_PORT not found; is the arm's USB cable "
                     "plugged in? (`rcls arm find-port` finds its port)");
    }
}

TEST(PosixSerialPort, PortInUseIsRefused) {
    auto bus = std::make_shared<SimBus>(SimOptions{}, steady_clock().now());
    PtySimServer server(bus);
    auto first = open_serial_port(server.path());
    try {
        open_serial_port(server.path());
        FAIL() << "no error";
    } catch (const DeviceError& e) {
        EXPECT_EQ(std::string(e.what()),
                  "serial port " + server.path() +
                      " is in use by another program (another rcls, lerobot, a serial monitor or "
                      "brltty); close it and try again");
    }
    first.reset();
    EXPECT_NO_THROW(open_serial_port(server.path()));  // free again once closed
}

TEST(PosixSerialPort, AFileThatIsNoTerminalIsRefused) {
    testing::TempDir dir;
    testing::write_text(dir / "plain", "");
    try {
        open_serial_port((dir / "plain").string());
        FAIL() << "no error";
    } catch (const DeviceError& e) {
        EXPECT_NE(std::string(e.what()).find("is not a serial device"), std::string::npos);
    }
}

/// Opens `path` as the user "nobody" (in a child process when we are root) and returns the error.
std::string open_error_as_unprivileged_user(const std::string& path) {
    auto attempt = [&]() -> std::string {
        try {
            open_serial_port(path);
            return "";
        } catch (const DeviceError& e) {
            return e.what();
        }
    };
    if (::geteuid() != 0) return attempt();
    int pipe_fds[2];
    if (::pipe(pipe_fds) != 0) return "pipe failed";
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(pipe_fds[0]);
        constexpr uid_t kNobody = 65534;
        if (::setgroups(0, nullptr) != 0 || ::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) {
            ::_exit(2);
        }
        const std::string message = attempt();
        [[maybe_unused]] const auto written = ::write(pipe_fds[1], message.data(), message.size());
        ::_exit(0);
    }
    ::close(pipe_fds[1]);
    std::string message;
    char buffer[512];
    ssize_t n = 0;
    while ((n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0) {
        message.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(pipe_fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return message;
}

TEST(PosixSerialPort, PermissionDeniedNamesTheDialoutGroup) {
    auto bus = std::make_shared<SimBus>(SimOptions{}, steady_clock().now());
    PtySimServer server(bus);  // not started: no thread runs across the fork
    ASSERT_EQ(::chmod(server.path().c_str(), 0600), 0);
    EXPECT_EQ(open_error_as_unprivileged_user(server.path()),
              "serial port " + server.path() +
                  ": permission denied; add yourself to the dialout group (`sudo usermod -aG "
                  "dialout $USER`, then log out and in again) or run `sudo chmod 666 " +
                  server.path() + "`");
}

}  // namespace
}  // namespace rcls::arm
