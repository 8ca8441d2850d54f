// SPDX-License-Identifier: MIT
#include "rcls/record/keys.hpp"

#include <thread>

#include <gtest/gtest.h>

namespace rcls::record {
namespace {

using Keys = std::vector<RecordKey>;

TEST(KeyParser, LettersInEitherCaseAndSpace) {
    KeyParser parser;
    EXPECT_EQ(parser.feed("sfrq SFRQ"),
              (Keys{RecordKey::Success, RecordKey::Failure, RecordKey::Rerecord, RecordKey::Stop,
                    RecordKey::EndEpisode, RecordKey::Success, RecordKey::Failure,
                    RecordKey::Rerecord, RecordKey::Stop}));
    EXPECT_FALSE(parser.pending());
}

TEST(KeyParser, OtherBytesAreIgnored) {
    KeyParser parser;
    EXPECT_EQ(parser.feed("axz\n\r\t1\x03\x7f"), Keys{});
    EXPECT_EQ(parser.feed("x s y"),
              (Keys{RecordKey::EndEpisode, RecordKey::Success, RecordKey::EndEpisode}));
}

TEST(KeyParser, ArrowsInBothEncodings) {
    KeyParser parser;
    EXPECT_EQ(parser.feed("\x1b[C\x1b[D\x1bOC\x1bOD"),
              (Keys{RecordKey::EndEpisode, RecordKey::Rerecord, RecordKey::EndEpisode,
                    RecordKey::Rerecord}));
    EXPECT_FALSE(parser.pending());
    EXPECT_EQ(parser.flush(), Keys{});
}

TEST(KeyParser, UpAndDownAndModifiedArrowsAreIgnored) {
    KeyParser parser;
    EXPECT_EQ(parser.feed("\x1b[A\x1b[B\x1bOA\x1b[1;5C\x1b[1;2D\x1b[3~\x1b[15~"), Keys{});
    EXPECT_FALSE(parser.pending());
    EXPECT_EQ(parser.feed("s"), Keys{RecordKey::Success});
}

TEST(KeyParser, LoneEscapeIsStopOnlyOnFlush) {
    KeyParser parser;
    EXPECT_EQ(parser.feed("\x1b"), Keys{});
    EXPECT_TRUE(parser.pending());
    EXPECT_EQ(parser.flush(), Keys{RecordKey::Stop});
    EXPECT_FALSE(parser.pending());
    EXPECT_EQ(parser.flush(), Keys{});
}

TEST(KeyParser, SequencesSplitAcrossFeeds) {
    KeyParser parser;
    EXPECT_EQ(parser.feed("s\x1b"), Keys{RecordKey::Success});
    EXPECT_TRUE(parser.pending());
    EXPECT_EQ(parser.feed("["), Keys{});
    EXPECT_TRUE(parser.pending());
    EXPECT_EQ(parser.feed("C"), Keys{RecordKey::EndEpisode});
    EXPECT_FALSE(parser.pending());
    EXPECT_EQ(parser.feed("\x1bO"), Keys{});
    EXPECT_EQ(parser.feed("Dq"), (Keys{RecordKey::Rerecord, RecordKey::Stop}));
    // A parameterised sequence split anywhere is still ignored as a whole.
    EXPECT_EQ(parser.feed("\x1b[1;"), Keys{});
    EXPECT_EQ(parser.feed("5C"), Keys{});
    EXPECT_FALSE(parser.pending());
}

TEST(KeyParser, AnUnfinishedSequenceIsNotAStop) {
    KeyParser parser;
    EXPECT_EQ(parser.feed("\x1b["), Keys{});
    EXPECT_TRUE(parser.pending());
    EXPECT_EQ(parser.flush(), Keys{});
    EXPECT_EQ(parser.feed("C"), Keys{});  // the sequence was abandoned: 'C' alone means nothing
}

TEST(KeyParser, TwoEscapesAreOneStopAndAPendingOne) {
    KeyParser parser;
    EXPECT_EQ(parser.feed("\x1b\x1b"), Keys{RecordKey::Stop});
    EXPECT_TRUE(parser.pending());
    EXPECT_EQ(parser.flush(), Keys{RecordKey::Stop});
}

TEST(KeyParser, AltKeyIsIgnored) {
    KeyParser parser;
    EXPECT_EQ(parser.feed("\x1bs"), Keys{});  // Alt+s
    EXPECT_FALSE(parser.pending());
    EXPECT_EQ(parser.flush(), Keys{});
}

TEST(KeyParser, EndlessSequenceIsAbandoned) {
    KeyParser parser;
    EXPECT_EQ(parser.feed("\x1b[" + std::string(100, '1')), Keys{});
    EXPECT_EQ(parser.feed("s"), Keys{RecordKey::Success});
}

TEST(RecordKey, Names) {
    EXPECT_EQ(to_string(RecordKey::Success), "success");
    EXPECT_EQ(to_string(RecordKey::Failure), "failure");
    EXPECT_EQ(to_string(RecordKey::EndEpisode), "end_episode");
    EXPECT_EQ(to_string(RecordKey::Rerecord), "rerecord");
    EXPECT_EQ(to_string(RecordKey::Stop), "stop");
}

TEST(ScriptedKeySource, DrainsInOrderAcrossThreads) {
    ScriptedKeySource source;
    EXPECT_EQ(source.poll(), Keys{});
    std::thread producer([&] {
        for (int i = 0; i < 1000; ++i)
            source.push(i % 2 ? RecordKey::Success : RecordKey::Stop);
    });
    Keys all;
    while (all.size() < 1000) {
        const Keys keys = source.poll();
        all.insert(all.end(), keys.begin(), keys.end());
    }
    producer.join();
    for (std::size_t i = 0; i < all.size(); ++i) {
        EXPECT_EQ(all[i], i % 2 ? RecordKey::Success : RecordKey::Stop) << i;
    }
    EXPECT_EQ(source.poll(), Keys{});
    EXPECT_TRUE(source.help().empty());
    NoKeySource none;
    EXPECT_EQ(none.poll(), Keys{});
    EXPECT_TRUE(none.help().empty());
}

}  // namespace
}  // namespace rcls::record
