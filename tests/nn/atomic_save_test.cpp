// Checkpoint writes are atomic: a writer killed (SIGKILL) at random moments of save_arrays never
// leaves a torn checkpoint; the directory always holds one complete generation.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
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

TEST(AtomicSave, ASaveReplacesTheWholeDirectory) {
  test::TempDir root("whole");
  const std::string dir = root.file("ckpt");
  save_arrays<float>(dir, {{"a", xt::xarray<float>{1, 2}}, {"b", xt::xarray<float>{3}}});
  save_arrays<float>(dir, {{"b", xt::xarray<float>{4, 5}}});
  // Nothing of the first save survives: "a" is gone, not carried over from the old run.
  EXPECT_EQ(list_arrays(dir), (std::vector<std::string>{"b"}));
  EXPECT_EQ(load_arrays<float>(dir, {"b"}).at("b"), (xt::xarray<float>{4, 5}));
  EXPECT_THROW_WITH(load_arrays<float>(dir, {"a"}), Error, "missing file", "a.npy");
  save_arrays<float>(dir, {});
  EXPECT_TRUE(list_arrays(dir).empty());
  // Nothing but the checkpoint is left beside it.
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(root.path())) ++entries;
  EXPECT_EQ(entries, 1u);
}

TEST(AtomicSave, ADirectoryHoldingOtherFilesIsRefusedNotDeleted) {
  test::TempDir root("foreign");
  const std::string dir = root.file("ckpt");
  save_arrays<float>(dir, {{"a", xt::xarray<float>{1}}});
  const auto sub = std::filesystem::path(dir) / "sub";
  std::filesystem::create_directory(sub);
  EXPECT_THROW_WITH(save_arrays<float>(dir, {{"c", xt::xarray<float>{1}}}), Error, "'sub'",
                    "files only");
  EXPECT_TRUE(std::filesystem::is_directory(sub));
  std::filesystem::remove(sub);
  const auto notes = std::filesystem::path(dir) / "notes.txt";
  std::ofstream(notes) << "keep me";
  EXPECT_THROW_WITH(save_arrays<float>(dir, {{"c", xt::xarray<float>{1}}}), Error, dir,
                    "'notes.txt'", "files only");
  EXPECT_TRUE(std::filesystem::is_regular_file(notes));
  EXPECT_EQ(list_arrays(dir), (std::vector<std::string>{"a"}));  // the checkpoint is unchanged
  for (const auto& e : std::filesystem::directory_iterator(root.path())) {
    EXPECT_EQ(e.path().filename().string().find(".saving-"), std::string::npos) << e.path();
  }
}

TEST(AtomicSave, ASymlinkedDirectoryIsWrittenThroughTheLink) {
  namespace fs = std::filesystem;
  test::TempDir root("symlink");
  const fs::path real = root.path() / "runs" / "real";
  fs::create_directories(real);
  save_arrays<float>(real.string(), {{"old", xt::xarray<float>{1}}});
  const fs::path link = root.path() / "ckpt";
  fs::create_directory_symlink("runs/real", link);  // relative, as `ln -s` makes them
  save_arrays<float>(link.string(), {{"w", xt::xarray<float>{7, 8}}});
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(fs::read_symlink(link), fs::path("runs/real"));
  EXPECT_EQ(list_arrays(real.string()), (std::vector<std::string>{"w"}));
  EXPECT_EQ(load_arrays<float>(real.string(), {"w"}).at("w"), (xt::xarray<float>{7, 8}));
  EXPECT_EQ(load_arrays<float>(link.string() + "/", {"w"}).at("w"), (xt::xarray<float>{7, 8}));
  // A trailing separator and a link to a link lead to the same directory.
  const fs::path link2 = root.path() / "latest";
  fs::create_directory_symlink(link, link2);
  save_arrays<float>(link2.string() + "/", {{"w", xt::xarray<float>{9}}});
  EXPECT_TRUE(fs::is_symlink(link2));
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(load_arrays<float>(real.string(), {"w"}).at("w"), (xt::xarray<float>{9}));

  // A dangling link: the checkpoint is created where it points.
  const fs::path dangling = root.path() / "next";
  fs::create_directory_symlink(root.path() / "runs" / "new", dangling);
  save_arrays<float>(dangling.string(), {{"v", xt::xarray<float>{3}}});
  EXPECT_TRUE(fs::is_symlink(dangling));
  EXPECT_EQ(load_arrays<float>((root.path() / "runs" / "new").string(), {"v"}).at("v"),
            (xt::xarray<float>{3}));
  // Staging happened beside the real directories; nothing is left anywhere.
  for (const auto& dir : {root.path(), root.path() / "runs"}) {
    for (const auto& e : fs::directory_iterator(dir)) {
      EXPECT_EQ(e.path().filename().string().find(".saving-"), std::string::npos) << e.path();
    }
  }
}

/// The names of the entries of `dir` that are staging directories of a save.
std::vector<std::string> staging_entries(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const auto name = e.path().filename().string();
    if (name.find(".saving-") != std::string::npos) out.push_back(name);
  }
  return out;
}

TEST(AtomicSave, AReadOnlyDirectoryIsRefusedAndLeavesNoDebris) {
  namespace fs = std::filesystem;
  test::TempDir root("readonly");
  const fs::path dir = root.path() / "ckpt";
  save_arrays<float>(dir.string(), {{"w", xt::xarray<float>{1, 2}}});
  fs::permissions(dir, fs::perms(0555));
  // Root may write anywhere, but a directory without any write bit is refused all the same.
  EXPECT_THROW_WITH(save_arrays<float>(dir.string(), {{"w", xt::xarray<float>{3, 4}}}), Error,
                    dir.string(), "not writable", "0555");
  EXPECT_EQ(fs::status(dir).permissions(), fs::perms(0555));
  EXPECT_EQ(load_arrays<float>(dir.string(), {"w"}).at("w"), (xt::xarray<float>{1, 2}));
  EXPECT_TRUE(staging_entries(root.path()).empty());
  // Writable again: the next save succeeds and keeps the directory's permission bits.
  fs::permissions(dir, fs::perms(0700));
  save_arrays<float>(dir.string(), {{"w", xt::xarray<float>{3, 4}}});
  EXPECT_EQ(load_arrays<float>(dir.string(), {"w"}).at("w"), (xt::xarray<float>{3, 4}));
  EXPECT_EQ(fs::status(dir).permissions(), fs::perms(0700));
  EXPECT_TRUE(staging_entries(root.path()).empty());

  // A new checkpoint inside a read-only directory is refused too, without debris.
  const fs::path locked = root.path() / "locked";
  fs::create_directory(locked);
  fs::permissions(locked, fs::perms(0555));
  EXPECT_THROW_WITH(save_arrays<float>((locked / "ckpt").string(), {{"w", xt::xarray<float>{1}}}),
                    Error, locked.string(), "not writable");
  EXPECT_TRUE(fs::is_empty(locked));
  fs::permissions(locked, fs::perms(0755));
}

/// Runs `body` in a child process and returns its exit status (0: every check held).
int in_child(const std::function<int()>& body) {
  const pid_t child = ::fork();
  if (child == 0) {
    int rc = 99;
    try {
      rc = body();
    } catch (...) {
    }
    ::_exit(rc);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

TEST(AtomicSave, AFailedWriteLeavesTheOldCheckpointAndNoDebris) {
  // A file size limit makes the write fail midway, as a full disk does.
  test::TempDir root("full");
  const std::string dir = root.file("ckpt");
  save_arrays<double>(dir, generation(1));
  const int rc = in_child([&] {
    ::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{1 << 20, 1 << 20};
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) return 1;
    try {
      save_arrays<double>(dir, generation(2));
      return 2;  // the save of 6 MiB should have failed
    } catch (const Error& e) {
      if (std::string(e.what()).find("cannot write") == std::string::npos) return 3;
    }
    return 0;
  });
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(check_intact(dir), 1.0);
  EXPECT_TRUE(staging_entries(root.path()).empty());
  save_arrays<double>(dir, generation(3));
  EXPECT_EQ(check_intact(dir), 3.0);
}

TEST(AtomicSave, AReadOnlyStagingDirectoryOfADeadWriterIsRemoved) {
  // Unprivileged, as root removes anything: the writer runs as 'nobody' in its own directory.
  namespace fs = std::filesystem;
  test::TempDir root("stale");
  const pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  ::waitpid(dead, nullptr, 0);
  const fs::path stale = root.path() / (".ckpt.saving-" + std::to_string(dead) + "-0");
  fs::create_directory(stale);
  std::ofstream(stale / "w.npy") << "left by a writer killed mid-save";
  const uid_t nobody = 65534;
  if (::geteuid() == 0) {
    for (const auto& p : {root.path(), stale, stale / "w.npy"}) {
      ASSERT_EQ(::chown(p.c_str(), nobody, nobody), 0) << p;
    }
  }
  fs::permissions(stale, fs::perms(0555));
  const int rc = in_child([&] {
    if (::geteuid() == 0 && (::setgid(nobody) != 0 || ::setuid(nobody) != 0)) return 1;
    save_arrays<float>((root.path() / "ckpt").string(), {{"w", xt::xarray<float>{1}}});
    return fs::exists(stale) ? 2 : 0;
  });
  EXPECT_EQ(rc, 0);
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(staging_entries(root.path()).empty());
}

TEST(AtomicSave, NamesAreCheckedTheSameWayForSavingAndLoading) {
  namespace fs = std::filesystem;
  test::TempDir root("names");
  const std::string dir = root.file("ckpt");
  save_arrays<float>(dir, {{"w", xt::xarray<float>{1}}});
  // A readable .npy file outside the checkpoint, where "../other/secret" would lead.
  save_arrays<float>(root.file("other"), {{"secret", xt::xarray<float>{42}}});
  const std::vector<std::string> bad_names = {"../other/secret",     "x/y", "", ".", "..",
                                              std::string("a\0b", 3)};
  for (const auto& bad : bad_names) {
    SCOPED_TRACE(bad);
    EXPECT_THROW_WITH(save_arrays<float>(dir, {{bad, xt::xarray<float>{1}}}), Error, "save_arrays",
                      "bad array name");
    EXPECT_THROW_WITH(load_arrays<float>(dir, {bad}), Error, "load_arrays", "bad array name");
  }
  EXPECT_THROW_WITH(load_arrays<float>(dir, {"../other/secret"}), Error, "'../other/secret'");
  EXPECT_EQ(list_arrays(dir), (std::vector<std::string>{"w"}));  // the failed saves left it
  // A file of the checkpoint that is a symbolic link would read outside the directory.
  fs::create_symlink(fs::path(root.file("other")) / "secret.npy", fs::path(dir) / "s.npy");
  EXPECT_THROW_WITH(load_arrays<float>(dir, {"s"}), Error, "s.npy", "symbolic link");
}

}  // namespace
