// SPDX-License-Identifier: MIT
//
// The torch plugin as the `rcls` binary uses it: this test program links librcls.so and no torch,
// and its Predictors come from librcls_torch.so, loaded through the facade. Code in the plugin must
// see the host's process-wide state: the Ctrl-C flag, the event sink, the logger.
#include "rcls/model/torch_plugin.hpp"

#include <dlfcn.h>
#include <sstream>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "rcls/core/error.hpp"
#include "rcls/core/events.hpp"
#include "rcls/core/interrupt.hpp"
#include "rcls/model/predictor.hpp"

namespace rcls::model {
namespace {

class TorchPlugin : public ::testing::Test {
protected:
    static void SetUpTestSuite() { ::setenv("RCLS_TORCH_PLUGIN", RCLS_TORCH_PLUGIN_FILE, 1); }
    void TearDown() override { reset_interrupt(); }

    static Predictor small_predictor() {
        const ClassifierConfig config;  // a named default (GCC 12 misreads a temporary's base)
        return Predictor::untrained(config, 1,
                                    {.threshold = 0.5, .num_threads = 1, .optimized = true});
    }
};

TEST_F(TorchPlugin, IsLoadedAndSharesTheHostsRcls) {
    Predictor predictor = small_predictor();
    void* plugin = ::dlopen(RCLS_TORCH_PLUGIN_FILE, RTLD_NOW | RTLD_NOLOAD);
    ASSERT_NE(plugin, nullptr) << "the Predictor did not come from the plugin";
    // What plugin code calls for these names is the host's own function, not a copy.
    EXPECT_EQ(::dlsym(plugin, "_ZN4rcls11interruptedEv"),
              reinterpret_cast<void*>(&rcls::interrupted));
    EXPECT_EQ(::dlsym(plugin, "_ZN4rcls10event_sinkEv"),
              reinterpret_cast<void*>(&rcls::event_sink));
    EXPECT_EQ(::dlsym(plugin, "_ZN4rcls14set_event_sinkEPNS_9EventSinkE"),
              reinterpret_cast<void*>(&rcls::set_event_sink));
    ::dlclose(plugin);
}

TEST_F(TorchPlugin, PluginCodeSeesTheHostsInterruptFlag) {
    Predictor predictor = small_predictor();
    const cv::Mat frame(predictor.image_height(), predictor.image_width(), CV_8UC3,
                        cv::Scalar(10, 120, 230));
    const std::vector<std::vector<cv::Mat>> batch(Predictor::kMaxChunk + 2, {frame});
    const std::vector<Prediction> before = predictor.predict_batch(batch);
    ASSERT_EQ(before.size(), batch.size());
    request_interrupt();  // what SIGINT does in the host
    EXPECT_THROW(predictor.predict_batch(batch), InterruptedError);
    EXPECT_THROW(predictor.predict(std::vector<cv::Mat>{frame}), InterruptedError);
    reset_interrupt();
    const std::vector<Prediction> after = predictor.predict_batch(batch);
    ASSERT_EQ(after.size(), batch.size());
    EXPECT_DOUBLE_EQ(after.back().logit, before.back().logit);
    // The same frame in a chunk of 32 and of 2: equal to float rounding.
    EXPECT_NEAR(after.front().logit, after.back().logit, 1e-5);
}

TEST_F(TorchPlugin, PluginCodeLogsThroughTheHostsLogger) {
    std::ostringstream lines;
    const auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(lines);
    const std::shared_ptr<spdlog::logger> logger = spdlog::default_logger();
    const spdlog::level::level_enum level = logger->level();
    logger->sinks().push_back(sink);
    logger->set_level(spdlog::level::debug);
    { const Predictor predictor = small_predictor(); }
    logger->sinks().pop_back();
    logger->set_level(level);
    EXPECT_NE(lines.str().find("model: untrained (observation.images.front, 128x128)"),
              std::string::npos)
        << lines.str();
}

TEST_F(TorchPlugin, HostDescribesItsState) {
    const TorchHost host = this_torch_host();
    EXPECT_EQ(host.abi, kTorchPluginAbi);
    EXPECT_EQ(host.interrupted, &rcls::interrupted);
    EXPECT_EQ(host.event_sink, &rcls::event_sink);
    ASSERT_NE(host.version, nullptr);
}

}  // namespace
}  // namespace rcls::model
