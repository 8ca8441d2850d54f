// SPDX-License-Identifier: MIT
//
// Spoken cues with fake speech programs on PATH: shell scripts that append their arguments to a
// file (and may take their time, as a real voice does).
#include "speech.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "rcls/core/events.hpp"

#include "temp_dir.hpp"
#include "terminal_renderer.hpp"
#include <sys/stat.h>

namespace rcls::cli {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

/// PATH set to one folder holding `name`, a script that
/// appends "$*" to said.txt and then sleeps `delay_s`, so that a test sees when speaking began.
class FakeSpeaker {
public:
    explicit FakeSpeaker(const std::string& name, double delay_s = 0.0) {
        const fs::path script = dir_ / name;
        std::ostringstream text;
        text << "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '" << log().string() << "'\n";
        if (delay_s > 0) text << "/bin/sleep " << delay_s << "\n";
        testing::write_text(script, text.str());
        ::chmod(script.c_str(), 0755);
        saved_path_ = std::getenv("PATH") ? std::getenv("PATH") : "";
        // Only the fake: a real speech program on this machine must not come first.
        ::setenv("PATH", dir_.path().c_str(), 1);
    }
    ~FakeSpeaker() { ::setenv("PATH", saved_path_.c_str(), 1); }

    fs::path log() const { return dir_ / "said.txt"; }
    std::string said() const {
        std::ifstream in(log());
        std::ostringstream out;
        out << in.rdbuf();
        return out.str();
    }
    /// Waits until said() has `lines` lines (or 5 s).
    bool wait_for_lines(int lines) const {
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (std::chrono::steady_clock::now() < deadline) {
            const std::string text = said();
            if (std::count(text.begin(), text.end(), '\n') >= lines) return true;
            std::this_thread::sleep_for(5ms);
        }
        return false;
    }

private:
    testing::TempDir dir_;
    std::string saved_path_;
};

TEST(Speech, OffUntilEnabled) {
    FakeSpeaker fake("spd-say");
    EXPECT_FALSE(speech_enabled());
    speak("not said");
    EXPECT_TRUE(wait_for_speech(2s));
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(fake.said(), "");
}

TEST(Speech, SpdSayWaitsForEachUtteranceInOrder) {
    FakeSpeaker fake("spd-say");
    set_speech_enabled(true);
    speak("Recording episode 1");
    speak("Resetting. 5 seconds.");
    ASSERT_TRUE(wait_for_speech(5s));
    EXPECT_EQ(fake.said(), "--wait Recording episode 1\n--wait Resetting. 5 seconds.\n");
    speak("Reset done.");
    ASSERT_TRUE(wait_for_speech(5s));
    EXPECT_EQ(fake.said(),
              "--wait Recording episode 1\n--wait Resetting. 5 seconds.\n--wait Reset done.\n");
    EXPECT_EQ(dropped_utterances(), 0);
}

TEST(Speech, EspeakNgWhenThereIsNoSpdSay) {
    FakeSpeaker fake("espeak-ng");
    set_speech_enabled(true);
    speak("Reset done.");
    ASSERT_TRUE(wait_for_speech(5s));
    EXPECT_EQ(fake.said(), "Reset done.\n");
}

TEST(Speech, ASlowSpeakerNeverBlocksTheCallerAndStaleCuesAreDropped) {
    FakeSpeaker fake("spd-say", 0.4);
    set_speech_enabled(true);
    speak("one");
    ASSERT_TRUE(fake.wait_for_lines(1));  // "one" is being said (for 0.4 s)
    double slowest_ms = 0;
    for (const char* text : {"two", "three", "four", "five"}) {
        const auto start = std::chrono::steady_clock::now();
        speak(text);
        slowest_ms = std::max(slowest_ms, std::chrono::duration<double, std::milli>(
                                              std::chrono::steady_clock::now() - start)
                                              .count());
    }
    EXPECT_LT(slowest_ms, 20.0) << "speak() waited for the speech program";
    EXPECT_FALSE(wait_for_speech(50ms));  // still speaking
    ASSERT_TRUE(wait_for_speech(5s));
    // Two may wait behind the one being said: "two" and "three" went stale.
    EXPECT_EQ(fake.said(), "--wait one\n--wait four\n--wait five\n");
    EXPECT_EQ(dropped_utterances(), 2);
}

TEST(Speech, DisablingDropsWaitingCues) {
    FakeSpeaker fake("spd-say", 0.3);
    set_speech_enabled(true);
    speak("one");
    ASSERT_TRUE(fake.wait_for_lines(1));
    speak("two");
    set_speech_enabled(false);
    ASSERT_TRUE(wait_for_speech(5s));
    EXPECT_EQ(fake.said(), "--wait one\n");
}

TEST(Speech, NoSpeechProgramIsNotAnError) {
    testing::TempDir empty;
    const std::string saved = std::getenv("PATH");
    ::setenv("PATH", empty.path().c_str(), 1);
    set_speech_enabled(true);
    EXPECT_NO_THROW(speak("Reset done."));
    EXPECT_TRUE(wait_for_speech(5s));
    ::setenv("PATH", saved.c_str(), 1);
}

TEST(Speech, TheRendererSpeaksNoticesWithSpeech) {
    FakeSpeaker fake("spd-say");
    char* buffer = nullptr;
    std::size_t size = 0;
    std::FILE* stream = ::open_memstream(&buffer, &size);
    {
        TerminalOptions options;
        options.stream = stream;
        TerminalRenderer renderer(options);
        renderer.on_notice({"record", "episode 1 saved", ""});  // nothing to say
        set_speech_enabled(true);
        renderer.on_notice({"record", "Recording episode 2", "Recording episode 2"});
        ASSERT_TRUE(wait_for_speech(5s));
        set_speech_enabled(false);
        renderer.on_notice({"record", "Reset done.", "Reset done."});
        ASSERT_TRUE(wait_for_speech(5s));
    }
    std::fclose(stream);
    std::free(buffer);
    EXPECT_EQ(fake.said(), "--wait Recording episode 2\n");
}

}  // namespace
}  // namespace rcls::cli
