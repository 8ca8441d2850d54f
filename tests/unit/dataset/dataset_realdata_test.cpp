// SPDX-License-Identifier: MIT
// Every real dataset in ../shared/realdata opens and its counts match its metadata; missing files
// are reported by episode and path. Expected numbers come from the datasets' SOURCE.txt files
// and their meta/*.jsonl, read here independently of rcls.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "rcls/core/error.hpp"
#include "rcls/dataset/dataset.hpp"

#include "prerequisite.hpp"
#include "temp_dir.hpp"

namespace rcls::dataset {
namespace {
namespace fs = std::filesystem;

fs::path dataset_root(const std::string& name) {
    const fs::path root = testing::realdata_dir();
    return root.empty() ? fs::path() : root / name;
}

#define REQUIRE_REALDATA(root)               \
    if ((root).empty() || !fs::exists(root)) \
    RCLS_PREREQUISITE_MISSING() << "realdata not on this machine"

TEST(DatasetRealData, ChessV21WithoutParquetOpensAndReportsWhatIsMissing) {
    const fs::path root = dataset_root("so101_chess_wrist_lerobot_pr1138");
    REQUIRE_REALDATA(root);
    const Dataset d = Dataset::open(root);
    EXPECT_EQ(d.info().codebase_version, "v2.1");
    ASSERT_EQ(d.meta().episodes.size(), 5u);
    EXPECT_EQ(d.episode(0).length, 775);
    EXPECT_EQ(d.episode(3).length, 762);
    EXPECT_EQ(d.episode(4).length, 1);
    std::int64_t total = 0;
    for (const EpisodeMeta& e : d.meta().episodes)
        total += e.length;
    EXPECT_EQ(total, d.info().total_frames);
    EXPECT_EQ(d.meta().tasks,
              std::vector<std::string>{"Move the white rook to D4 on the chessboard."});
    EXPECT_EQ(d.meta().find_video_file(d.episode(3), "observation.images.follower_wrist"),
              root / "videos/chunk-000/observation.images.follower_wrist/episode_000003.mp4");
    try {
        d.read_episode(0);
        FAIL();
    } catch (const DataError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("episode 0"), std::string::npos) << what;
        EXPECT_NE(what.find("data/chunk-000/episode_000000.parquet"), std::string::npos) << what;
    }
    const std::vector<FileProblem> problems = d.find_problems();
    std::set<std::int64_t> missing_videos;
    int missing_data = 0;
    for (const FileProblem& p : problems) {
        if (p.path.extension() == ".mp4") missing_videos.insert(p.episode_index);
        if (p.path.extension() == ".parquet") ++missing_data;
    }
    EXPECT_EQ(missing_videos, (std::set<std::int64_t>{1, 2}));  // SOURCE.txt
    EXPECT_EQ(missing_data, 5);
}

TEST(DatasetRealData, UnitreeV21EpisodesReadWithTheirLengths) {
    const fs::path root = dataset_root("unitree_g1_pick_bottle_YifanTian07");
    REQUIRE_REALDATA(root);
    const Dataset d = Dataset::open(root);
    ASSERT_EQ(d.meta().episodes.size(), 100u);
    std::ifstream in(root / "meta/episodes.jsonl");
    std::string line;
    std::int64_t index = 0;
    while (std::getline(in, line)) {
        const auto j = nlohmann::json::parse(line);
        const std::int64_t e = j["episode_index"];
        const parquet::Table t = d.read_episode(e);
        ASSERT_EQ(t.num_rows, j["length"].get<std::int64_t>());
        EXPECT_EQ(t.column("index").integer(0), index);
        EXPECT_EQ(d.episode(e).dataset_from_index, index);
        index += t.num_rows;
    }
    EXPECT_EQ(index, 35965);  // info.json total_frames
    // 24 of 100 videos were copied (SOURCE.txt); every data file is there.
    int missing_videos = 0;
    for (const FileProblem& p : d.find_problems(true)) {
        EXPECT_EQ(p.path.extension(), ".mp4") << p.path << ": " << p.what;
        ++missing_videos;
    }
    EXPECT_EQ(missing_videos, 76);
}

TEST(DatasetRealData, LingzuV30FindsVideosUnderItsVideoFolder) {
    const fs::path root = dataset_root("lingzu_hand_press_button_open50");
    REQUIRE_REALDATA(root);
    const Dataset d = Dataset::open(root);
    EXPECT_TRUE(d.info().is_v3());
    ASSERT_EQ(d.meta().episodes.size(), 50u);
    EXPECT_EQ(d.meta().tasks, std::vector<std::string>{"lingzu teleoperation"});
    EXPECT_EQ(d.info().feature("image")->video->codec, "h264");  // what info.json claims
    const EpisodeMeta& e0 = d.episode(0);
    EXPECT_EQ(d.meta().video_file(e0, "image"), root / "videos/image/chunk-000/file-000.mp4");
    EXPECT_EQ(d.meta().find_video_file(e0, "image"), root / "video/image/chunk-000/file-000.mp4");
    EXPECT_EQ(e0.videos.at("image").from_timestamp, 0.0);
    const parquet::Table t = d.read_episode(0);
    EXPECT_EQ(t.num_rows, 427);
    EXPECT_EQ(t.column("state").list<float>(0).size(), 34u);
    // 14 of 50 episodes were copied, each with data and video (SOURCE.txt).
    std::set<std::int64_t> complete;
    for (const EpisodeMeta& e : d.meta().episodes)
        complete.insert(e.episode_index);
    for (const FileProblem& p : d.find_problems())
        complete.erase(p.episode_index);
    EXPECT_EQ(complete, (std::set<std::int64_t>{0, 3, 4, 5, 6, 8, 10, 11, 12, 13, 14, 15, 16, 17}));
    EXPECT_THROW(d.read_episode(1), DataError);
    EXPECT_THROW(d.episode(50), DataError);
    // SOURCE.txt: MPEG-4 part 2 although info.json claims h264.
    EXPECT_EQ(d.video_codecs(), (std::map<std::string, std::string>{{"image", "mpeg4"}}));
    // Every copied video holds its episode's frames.
    for (const FileProblem& p : d.find_problems(true))
        EXPECT_EQ(p.what, "missing") << p.path;
}

TEST(DatasetRealData, StillsFolderIsNotADataset) {
    const fs::path root = dataset_root("so100_cube_sort_stills_LTS");
    REQUIRE_REALDATA(root);
    try {
        Dataset::open(root);
        FAIL();
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("meta/info.json"), std::string::npos);
    }
}

}  // namespace
}  // namespace rcls::dataset
