// SPDX-License-Identifier: MIT
#include "rcls/dataset/info.hpp"

#include <string>

#include <gtest/gtest.h>

#include "rcls/core/error.hpp"
#include "rcls/dataset/layout.hpp"

#include "temp_dir.hpp"

namespace rcls::dataset {
namespace {

const char* kInfo = R"({
    "codebase_version": "v3.0", "robot_type": "so101_follower", "total_episodes": 2,
    "total_frames": 30, "total_tasks": 1, "chunks_size": 1000, "data_files_size_in_mb": 100,
    "video_files_size_in_mb": 200, "fps": 10, "splits": {"train": "0:2"},
    "data_path": "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet",
    "video_path": "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4",
    "features": {
        "observation.images.front": {"dtype": "video", "shape": [3, 128, 128],
            "names": ["channels", "height", "width"],
            "info": {"video.height": 128, "video.width": 128, "video.codec": "av1",
                     "video.pix_fmt": "yuv420p", "video.is_depth_map": false, "video.fps": 10,
                     "video.channels": 3, "has_audio": false}},
        "observation.state": {"dtype": "float32", "shape": [6], "names": ["a", "b", "c", "d", "e", "f"]},
        "action": {"dtype": "float32", "shape": [4], "names": {"delta_x": 0, "delta_y": 1, "delta_z": 2, "gripper": 3}},
        "next.reward": {"dtype": "float32", "shape": [1], "names": null}
    }
})";

TEST(DatasetInfo, ParsesTheV30Fields) {
    const DatasetInfo info = parse_info(kInfo, "info.json");
    EXPECT_TRUE(info.is_v3());
    EXPECT_EQ(info.robot_type, "so101_follower");
    EXPECT_EQ(info.total_episodes, 2);
    EXPECT_EQ(info.total_frames, 30);
    EXPECT_DOUBLE_EQ(info.fps, 10.0);
    ASSERT_EQ(info.features.size(), 4u);
    EXPECT_EQ(info.features[0].key, "observation.images.front");  // file order kept
    ASSERT_TRUE(info.features[0].video.has_value());
    EXPECT_EQ(info.features[0].video->codec, "av1");
    EXPECT_EQ(info.features[0].video->height, 128);
    int h = 0, w = 0, c = 0;
    info.features[0].image_size(h, w, c);
    EXPECT_EQ(h, 128);
    EXPECT_EQ(w, 128);
    EXPECT_EQ(c, 3);
    EXPECT_EQ(info.video_keys(), std::vector<std::string>{"observation.images.front"});
    EXPECT_EQ(info.feature("observation.state")->size(), 6);
    EXPECT_EQ(info.feature("action")->names,
              (std::vector<std::string>{"delta_x", "delta_y", "delta_z", "gripper"}));
    EXPECT_EQ(info.feature("nope"), nullptr);
}

TEST(DatasetInfo, DumpParsesBackToTheSameInfo) {
    const DatasetInfo info = parse_info(kInfo, "info.json");
    const DatasetInfo again = parse_info(dump_info(info), "dumped");
    EXPECT_EQ(dump_info(again), dump_info(info));
    EXPECT_NE(dump_info(info).find("\"fps\": 10,"), std::string::npos);
    EXPECT_NE(dump_info(info).find("\"train\": \"0:2\""), std::string::npos);
}

TEST(DatasetInfo, MissingKeysAreDataErrorsNamingFileAndKey) {
    for (const char* key :
         {"codebase_version", "fps", "features", "total_episodes", "data_path", "chunks_size"}) {
        std::string text = kInfo;
        const std::string quoted = std::string("\"") + key + "\"";
        text.replace(text.find(quoted), quoted.size(), "\"renamed_away\"");
        try {
            parse_info(text, "/d/meta/info.json");
            FAIL() << key;
        } catch (const DataError& e) {
            const std::string what = e.what();
            EXPECT_NE(what.find("/d/meta/info.json"), std::string::npos) << what;
            EXPECT_NE(what.find(key), std::string::npos) << what;
            EXPECT_EQ(e.code(), ExitCode::kData);
        }
    }
}

TEST(DatasetInfo, UnsupportedCodebaseVersionIsADataError) {
    std::string text = kInfo;
    text.replace(text.find("v3.0"), 4, "v1.6");
    try {
        parse_info(text, "info.json");
        FAIL();
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("codebase_version \"v1.6\" is not supported"),
                  std::string::npos);
    }
}

TEST(DatasetInfo, BadJsonAndBadTypesAreDataErrors) {
    EXPECT_THROW(parse_info("{", "i"), DataError);
    EXPECT_THROW(parse_info("[]", "i"), DataError);
    std::string text = kInfo;
    text.replace(text.find("\"fps\": 10"), 9, "\"fps\": \"ten\"");
    EXPECT_THROW(parse_info(text, "i"), DataError);
    testing::TempDir dir;
    EXPECT_THROW(load_info(dir / "meta/info.json"), DataError);
}

TEST(DatasetLayout, FormatsLeRobotsTemplates) {
    PathFields fields;
    fields.ints = {
        {"chunk_index", 1}, {"file_index", 23}, {"episode_chunk", 0}, {"episode_index", 7}};
    fields.strings = {{"video_key", "observation.images.front"}};
    EXPECT_EQ(format_path(kDataPathV3, fields), "data/chunk-001/file-023.parquet");
    EXPECT_EQ(format_path(kVideoPathV3, fields),
              "videos/observation.images.front/chunk-001/file-023.mp4");
    EXPECT_EQ(
        format_path("data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet", fields),
        "data/chunk-000/episode_000007.parquet");
    EXPECT_EQ(format_path("{{x}}-{file_index}", fields), "{x}-23");
    EXPECT_THROW(format_path("{unknown}", fields), DataError);
    EXPECT_THROW(format_path("{file_index:x}", fields), DataError);
    EXPECT_THROW(format_path("{file_index", fields), DataError);
}

TEST(DatasetLayout, RollsFilesIntoTheNextChunk) {
    EXPECT_EQ(next_chunk_file({0, 0}, 1000), (ChunkFile{0, 1}));
    EXPECT_EQ(next_chunk_file({0, 999}, 1000), (ChunkFile{1, 0}));
    EXPECT_EQ(next_chunk_file({2, 1}, 2), (ChunkFile{3, 0}));
}

}  // namespace
}  // namespace rcls::dataset
