// SPDX-License-Identifier: MIT
//
// `rcls arm scan`'s workflow through the real serial driver on the pseudo-terminal the simulated
// bus is served on (moved here from the driver's posix_serial_port_test).
#include <gtest/gtest.h>

#include "rcls/arm/sim_bus.hpp"
#include "rcls/arm_tools/arm_tools.hpp"

#include "temp_dir.hpp"

namespace rcls::arm_tools {
namespace {

using namespace rcls::arm;

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

TEST_F(PtyTest, ScanFindsSixServosWithModelAndFirmware) {
    serve();
    const int bauds[] = {1'000'000};
    const std::vector<ScannedServo> found = scan_port(server_->path(), bauds);
    ASSERT_EQ(found.size(), 6u);
    for (std::size_t i = 0; i < found.size(); ++i) {
        EXPECT_EQ(found[i].id, i + 1);
        EXPECT_EQ(found[i].model, 777);
        EXPECT_EQ(found[i].firmware, "3.10");
        EXPECT_EQ(found[i].joint, kJointNames[i]);
    }
    EXPECT_NE(scan_to_json(found).find("\"joint\": \"wrist_flex\""), std::string::npos);
}

}  // namespace
}  // namespace rcls::arm_tools
