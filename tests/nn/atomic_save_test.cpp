// Checkpoint writes are atomic: a writer killed (SIGKILL) at random moments of save_arrays never
// leaves a torn checkpoint; the directory always holds one complete generation.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "nn/nn_test_util.hpp"

namespace {

using namespace xg;

constexpr std::size_t kBig = 1 << 19;  // two arrays of 4 MiB and 2 MiB per save

std::map<std::string, xt::xarray<double>> generation(double g) {
  auto big = xt::xarray<double>::from_shape({kBig});
  auto small = xt::xarray<double>::from_shape({kBig / 2});
  big.fill(g);
  small.fill(g);
  return {{"big", big}, {"small", small}};
}

/// The generation the checkpoint holds; fails the test if the arrays disagree or are torn.
double check_intact(const std::string& dir) {
  const auto a = load_arrays<double>(dir, {"big", "small"});
  const double g = a.at("big")(0);
  EXPECT_EQ(a.at("big").size(), kBig);
  EXPECT_EQ(a.at("small").size(), kBig / 2);
  EXPECT_TRUE(xt::all(xt::equal(a.at("big"), g))) << "torn 'big' in generation " << g;
  EXPECT_TRUE(xt::all(xt::equal(a.at("small"), g))) << "'small' differs from 'big' = " << g;
  return g;
}

TEST(AtomicSave, KilledWriterLeavesThePreviousCheckpointIntact) {
  test::TempDir root("atomic");
  const std::string dir = root.file("ckpt");
  save_arrays<double>(dir, generation(0));
  std::mt19937 rng(2024);
  double last = 0;
  int torn_saves = 0;
  for (int round = 0; round < 12; ++round) {
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {  // the writer: saves generation after generation until killed
      ::close(ready[0]);
      double g = last;
      bool told = false;
      for (;;) {
        save_arrays<double>(dir, generation(++g));
        if (!told) told = ::write(ready[1], "x", 1) == 1;
      }
    }
    ::close(ready[1]);
    char c;
    ASSERT_EQ(::read(ready[0], &c, 1), 1);  // at least one save completed
    ::close(ready[0]);
    std::this_thread::sleep_for(
        std::chrono::microseconds(std::uniform_int_distribution<int>(0, 40000)(rng)));
    ::kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "writer died by itself: " << status;
    const double g = check_intact(dir);
    EXPECT_GT(g, last) << "round " << round;
    if (std::filesystem::exists(root.path())) {
      for (const auto& e : std::filesystem::directory_iterator(root.path())) {
        if (e.path().filename().string().find(".saving-") != std::string::npos) ++torn_saves;
      }
    }
    last = g;
  }
  // Kills that landed inside a save left its staging directory (how many depends on timing);
  // the next save removes the staging directories of dead writers.
  RecordProperty("kills_inside_a_save", torn_saves);
  save_arrays<double>(dir, generation(last + 1));
  for (const auto& e : std::filesystem::directory_iterator(root.path())) {
    EXPECT_EQ(e.path().filename().string().find(".saving-"), std::string::npos) << e.path();
  }
  EXPECT_EQ(check_intact(dir), last + 1);
}

TEST(AtomicSave, PartialSaveKeepsTheOtherFilesAndReplacesTheDirectoryWhole) {
  test::TempDir root("partial");
  const std::string dir = root.file("ckpt");
  save_arrays<float>(dir, {{"a", xt::xarray<float>{1, 2}}, {"b", xt::xarray<float>{3}}});
  save_arrays<float>(dir, {{"b", xt::xarray<float>{4, 5}}});
  EXPECT_EQ(list_arrays(dir), (std::vector<std::string>{"a", "b"}));
  const auto got = load_arrays<float>(dir, {"a", "b"});
  EXPECT_EQ(got.at("a"), (xt::xarray<float>{1, 2}));
  EXPECT_EQ(got.at("b"), (xt::xarray<float>{4, 5}));
  // Nothing but the checkpoint is left beside it.
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(root.path())) ++entries;
  EXPECT_EQ(entries, 1u);

  std::filesystem::create_directory(std::filesystem::path(dir) / "sub");
  EXPECT_THROW_WITH(save_arrays<float>(dir, {{"c", xt::xarray<float>{1}}}), Error, "'sub'",
                    "files only");
  EXPECT_THROW_WITH(save_arrays<float>(dir, {{"x/y", xt::xarray<float>{1}}}), Error, "'x/y'");
}

}  // namespace
