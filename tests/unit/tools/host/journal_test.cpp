// The bind journal's state directory and files, against a hostile local user:
// root acts on what the journal says, so nothing another user can write there
// (a symlink, a loose mode, a tampered entry) may steer it.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>

#include "tests/support/fixture_tree.hpp"
#include "tools/host/binder.hpp"
#include "vfiokit/vfio/error.hpp"

namespace sfs = std::filesystem;

namespace vfiokit::host {
namespace {

using fixtures::FixtureTree;

const std::vector<JournalEntry> kEntries = {{"0000:02:00.0", "nvme", std::nullopt, "t0"}};

std::string slurp(const sfs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

mode_t mode_of(const sfs::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

/// The state directory `root/state`, created with `mode` (chmod, past the umask).
sfs::path state_dir(const FixtureTree& h, mode_t mode) {
  const sfs::path d = h.root() / "state";
  sfs::create_directory(d);
  EXPECT_EQ(::chmod(d.c_str(), mode), 0);
  return d;
}

TEST(JournalSafety, MissingStateDirIsCreatedPrivateWhateverTheUmask) {
  FixtureTree h;
  const mode_t old = ::umask(0);
  const Journal j(h.root() / "state");
  j.save(kEntries);
  const UniqueFd lock = j.lock();
  ::umask(old);
  EXPECT_EQ(mode_of(j.dir()), 0700u);
  EXPECT_EQ(mode_of(j.file()), 0600u);
  EXPECT_EQ(mode_of(j.dir() / "journal.lock"), 0600u);
}

TEST(JournalSafety, MissingParentsAreCreatedAsMkdirPWould) {
  // A fresh root (the test bed's guests) has no /var/lib: the default /var/lib/vfiokit
  // must still work, its parents made like `mkdir -p`, the directory itself private.
  FixtureTree h;
  const Journal j(h.root() / "var" / "lib" / "vfiokit");
  j.save(kEntries);
  EXPECT_EQ(mode_of(j.dir()), 0700u);
  EXPECT_TRUE(sfs::is_directory(h.root() / "var" / "lib"));
  EXPECT_EQ(j.load().size(), std::size(kEntries));
}

TEST(JournalSafety, StateDirOthersCanWriteIsRefusedAndNothingWritten) {
  for (const mode_t mode : {0777u, 0770u, 0702u, 01777u}) {
    FixtureTree h;
    const Journal j(state_dir(h, mode));
    for (int op = 0; op < 3; ++op) {
      try {
        if (op == 0) j.save(kEntries);
        if (op == 1) (void)j.lock();
        if (op == 2) (void)j.load();
        FAIL() << "a state directory of mode " << std::oct << mode << " was used (op " << op << ")";
      } catch (const Error& e) {
        EXPECT_EQ(e.error_code(), EPERM) << e.what();
        EXPECT_NE(std::string(e.what()).find(j.dir().string()), std::string::npos) << e.what();
        char want[16];
        std::snprintf(want, sizeof want, "mode %04o", mode);
        EXPECT_NE(e.hint().find(want), std::string::npos) << e.hint();
        EXPECT_NE(e.hint().find("mode 0700, such as the default /var/lib/vfiokit"),
                  std::string::npos)
            << e.hint();
        EXPECT_EQ(e.hint().find("writable directory"), std::string::npos) << e.hint();
      }
    }
    EXPECT_TRUE(sfs::is_empty(j.dir())) << "something was written into " << j.dir();
  }
}

TEST(JournalSafety, StateDirOwnedByAnotherUserIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give the directory away";
  FixtureTree h;
  const Journal j(state_dir(h, 0700));
  ASSERT_EQ(::chown(j.dir().c_str(), 65534, 65534), 0);
  try {
    j.save(kEntries);
    FAIL() << "a directory owned by uid 65534 was used";
  } catch (const Error& e) {
    EXPECT_EQ(e.error_code(), EPERM);
    EXPECT_NE(e.hint().find("owned by uid 65534 with mode 0700"), std::string::npos) << e.hint();
    EXPECT_NE(e.hint().find("use a directory owned by root"), std::string::npos) << e.hint();
  }
  EXPECT_TRUE(sfs::is_empty(j.dir()));
}

TEST(JournalSafety, StateDirThatIsASymlinkIsRefused) {
  FixtureTree h;
  const sfs::path target = state_dir(h, 0700);
  sfs::create_directory_symlink(target, h.root() / "link");
  const Journal j(h.root() / "link");
  try {
    j.save(kEntries);
    FAIL() << "the state directory was followed through a symlink";
  } catch (const Error& e) {
    // open(O_DIRECTORY | O_NOFOLLOW) of a symlink fails with ENOTDIR (ELOOP without O_DIRECTORY).
    EXPECT_TRUE(e.error_code() == ENOTDIR || e.error_code() == ELOOP) << e.what();
    EXPECT_NE(e.hint().find("symlink"), std::string::npos) << e.hint();
  }
  EXPECT_TRUE(sfs::is_empty(target));
}

TEST(JournalSafety, PlantedSymlinksAreNeverWrittenThrough) {
  for (const char* name : {"journal.json.tmp", "journal.lock", "journal.json"}) {
    FixtureTree h;
    const Journal j(state_dir(h, 0700));
    h.file("victim", "precious\n");
    sfs::create_symlink(h.root() / "victim", j.dir() / name);
    // Whatever each call makes of the link (replace it, refuse it), the target stays.
    try {
      const UniqueFd lock = j.lock();
      j.save(kEntries);
    } catch (const Error& e) {
      EXPECT_EQ(std::string(name), "journal.lock") << e.what();
      EXPECT_EQ(e.error_code(), ELOOP) << e.what();
    }
    try {
      (void)j.load();
    } catch (const Error& e) {
      EXPECT_EQ(std::string(name), "journal.lock") << e.what();  // nothing was saved
    }
    try {
      j.save({});
    } catch (const Error& e) {
      ADD_FAILURE() << e.what();
    }
    EXPECT_EQ(slurp(h.root() / "victim"), "precious\n") << "written through " << name;
  }
}

TEST(JournalSafety, PlantedJournalSymlinkIsNotReadThrough) {
  FixtureTree h;
  const Journal j(state_dir(h, 0700));
  h.file("elsewhere.json", R"({"schema_version": 1, "entries": []})");
  sfs::create_symlink(h.root() / "elsewhere.json", j.file());
  try {
    (void)j.load();
    FAIL() << "the journal was read through a symlink";
  } catch (const Error& e) {
    EXPECT_EQ(e.error_code(), ELOOP) << e.what();
    EXPECT_NE(e.hint().find("regular file"), std::string::npos) << e.hint();
  }
}

TEST(JournalSafety, StaleTempFileIsReplaced) {
  FixtureTree h;
  const Journal j(state_dir(h, 0700));
  h.file("state/journal.json.tmp", "half a journal");
  j.save(kEntries);
  EXPECT_FALSE(sfs::exists(j.dir() / "journal.json.tmp"));
  ASSERT_EQ(j.load().size(), 1u);
}

TEST(JournalLock, HolderWritesItsPidAndAWaiterGivesUpNamingIt) {
  FixtureTree h;
  const Journal j(state_dir(h, 0700));
  const UniqueFd held = j.lock();
  EXPECT_EQ(slurp(j.dir() / "journal.lock"), std::to_string(::getpid()) + "\n");
  // flock is per open file: a second open in this process waits as another would.
  const Journal waiter(j.dir(), std::chrono::milliseconds(200));
  const auto t0 = std::chrono::steady_clock::now();
  std::optional<Error> err;
  try {
    (void)waiter.lock();
  } catch (const Error& e) {
    err = e;
  }
  const auto waited = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(err) << "two holders of the journal lock";
  EXPECT_EQ(err->error_code(), ETIMEDOUT) << err->what();
  EXPECT_NE(err->hint().find("PID " + std::to_string(::getpid())), std::string::npos)
      << err->hint();
  EXPECT_NE(std::string(err->what()).find("journal.lock"), std::string::npos) << err->what();
  EXPECT_GE(waited, std::chrono::milliseconds(200));
  EXPECT_LT(waited, std::chrono::seconds(5));
  EXPECT_EQ(Journal::kLockWait, std::chrono::seconds(10));
}

TEST(JournalLock, ReleasedLockIsTakenAgain) {
  FixtureTree h;
  const Journal j(state_dir(h, 0700), std::chrono::milliseconds(200));
  { const UniqueFd first = j.lock(); }
  const UniqueFd second = j.lock();
  EXPECT_TRUE(second);
}

/// Restore on a host whose every sysfs file exists, so an entry that escaped
/// /sys/bus/pci/drivers would be written; `entry` is the tampered journal line.
void expect_tampered_journal_refused(const std::string& entry, const std::string& field) {
  FixtureTree h;
  fixtures::build_host(h);
  h.file("sys/bus/pci/drivers/nvme/unbind", "");
  h.file("sys/bus/pci/drivers/nvme/bind", "");
  h.file("sys/bus/pci/drivers_probe", "");
  h.file("sys/bind", "");  // sys/bus/pci/drivers/../../../bind
  const Journal j(state_dir(h, 0700));
  const std::string text = R"({"schema_version": 1, "entries": [)" + entry + "]}\n";
  h.file("state/journal.json", text);
  const std::string override_before =
      slurp(h.root() / h.device_path("0000:02:00.0") / "driver_override");
  Binder b(HostFs(h.root()), Journal(j.dir()));
  try {
    (void)b.restore();
    FAIL() << "a tampered journal was acted on: " << entry;
  } catch (const Error& e) {
    EXPECT_EQ(e.error_code(), EINVAL) << e.what();
    EXPECT_NE(std::string(e.what()).find("journal.json"), std::string::npos) << e.what();
    EXPECT_NE(e.hint().find("entries[0]." + field), std::string::npos) << e.hint();
  }
  EXPECT_EQ(slurp(j.file()), text) << "the journal was rewritten";
  EXPECT_EQ(slurp(h.root() / "sys/bind"), "");
  EXPECT_EQ(slurp(h.root() / "sys/bus/pci/drivers/nvme/unbind"), "");
  EXPECT_EQ(slurp(h.root() / "sys/bus/pci/drivers/nvme/bind"), "");
  EXPECT_EQ(slurp(h.root() / "sys/bus/pci/drivers_probe"), "");
  EXPECT_EQ(slurp(h.root() / h.device_path("0000:02:00.0") / "driver_override"), override_before);
}

TEST(JournalSafety, DriverThatClimbsOutOfSysfsIsRefused) {
  expect_tampered_journal_refused(
      R"({"bdf": "0000:02:00.0", "driver": "../../..", "driver_override": null})", "driver");
}

TEST(JournalSafety, BdfWithAPathInItIsRefused) {
  expect_tampered_journal_refused(
      R"({"bdf": "0000:00:02.0/../x", "driver": "nvme", "driver_override": null})", "bdf");
}

TEST(JournalSafety, OtherNonCanonicalValuesAreRefused) {
  for (const auto& [entry, field] : std::vector<std::pair<std::string, std::string>>{
           {R"({"bdf": "02:00.0", "driver": "nvme"})", "bdf"},
           {R"({"bdf": "0000:02:00.0 ", "driver": "nvme"})", "bdf"},
           {R"({"bdf": "0000:02:00.0", "driver": ".."})", "driver"},
           {R"({"bdf": "0000:02:00.0", "driver": ""})", "driver"},
           {R"({"bdf": "0000:02:00.0", "driver": "nvme", "driver_override": "a/b"})",
            "driver_override"},
           {R"({"bdf": "0000:02:00.0", "driver": "nvme", "driver_override": "x\ny"})",
            "driver_override"}}) {
    FixtureTree h;
    const Journal j(state_dir(h, 0700));
    h.file("state/journal.json", R"({"schema_version": 1, "entries": [)" + entry + "]}");
    try {
      (void)j.load();
      FAIL() << "loaded " << entry;
    } catch (const Error& e) {
      EXPECT_NE(e.hint().find("entries[0]." + field), std::string::npos) << e.hint();
    }
  }
  // What vfiokit writes itself still loads.
  FixtureTree h;
  const Journal j(state_dir(h, 0700));
  j.save({{"0001:0a:1f.7", "snd_hda_intel", "vfio-pci", "t"}, {"0000:00:03.0", "e1000e", {}, "t"}});
  EXPECT_EQ(j.load().size(), 2u);
}

}  // namespace
}  // namespace vfiokit::host
