// vfiokit-guest-check end to end with CUDA samples that misbehave (fake programs in
// --samples-dir, on the gpu-ok fixture): one that closes its pipes and sleeps must
// cost the check its --sample-timeout plus the kill grace, not a hang; SIGTERM to the
// check must kill the running sample's whole process group and exit 128+15; a full
// disk under --json or --save-samples must exit 3 naming the file.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "check/check.hpp"
#include "guest-tests/subprocess.hpp"
#include "tests/support/guest_tree.hpp"
#include "tests/unit/guest-tests/process_gone.hpp"

namespace vfiokit::guest {
namespace {

namespace fs = std::filesystem;
using testing::becomes_gone;

const std::string kFix = VFIOKIT_GUEST_FIXTURES;
const std::string kCheck = VFIOKIT_GUEST_CHECK_BIN;

/// A fresh directory under the test's temp dir, removed at the end.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string t = (fs::temp_directory_path() / "guest-children.XXXXXX").string();
    path = mkdtemp(t.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

void write_script(const fs::path& p, const std::string& body) {
  std::ofstream(p) << "#!/bin/sh\n" << body;
  fs::permissions(p, fs::perms::owner_all);
}

/// `sh -c SCRIPT` with the guest check as $0, output captured, bounded by kNoHang.
RunResult shell(const std::string& script) {
  ProcessRunner r;
  return r.run({"sh", "-c", script, kCheck}, static_cast<int>(testing::kNoHang.count()));
}

const std::string kGpuArgs = " --root " + fixtures::guest_tree_root("gpu-ok") +
                             " --device 0000:01:00.0 --nvidia-smi /bin/false";

TEST(GuestCheckChildren, SampleThatClosesItsPipesAndSleepsCostsItsDeadlineNotAHang) {
  TempDir d;
  write_script(d.path / "vfiokit-cuda-bandwidth", "exec >&- 2>&-\nsleep 300\n");
  const RunResult x =
      shell("\"$0\"" + kGpuArgs + " --samples-dir " + d.path.string() + " --sample-timeout 1");
  ASSERT_FALSE(x.timed_out) << "the guest check hung";
  EXPECT_EQ(x.exit_code, check::kExitFail) << x.out << x.err;
  EXPECT_NE(x.out.find("cuda.bandwidth    did not finish: timed out after 1 s"), std::string::npos)
      << x.out;
}

TEST(GuestCheckChildren, SigtermKillsTheRunningSampleGroupAndExits143) {
  TempDir d;
  const std::string dir = d.path.string();
  // The sample starts a grandchild (in its process group, out of PR_SET_PDEATHSIG's
  // reach) and says its pid once it runs.
  write_script(d.path / "vfiokit-cuda-bandwidth", "sleep 300 &\necho $! > " + dir +
                                                      "/gc.tmp && mv " + dir + "/gc.tmp " + dir +
                                                      "/grandchild\nwait\n");
  const RunResult x = shell("\"$0\"" + kGpuArgs + " --samples-dir " + dir +
                            " --sample-timeout 600 > /dev/null 2> " + dir +
                            "/stderr & c=$!\n"
                            "while [ ! -s " +
                            dir +
                            "/grandchild ] && kill -0 $c; do sleep 0.1; done\n"
                            "kill -TERM $c; wait $c; echo \"rc=$?\"; cat " +
                            dir + "/stderr");
  ASSERT_FALSE(x.timed_out) << "the guest check hung";
  EXPECT_NE(x.out.find("rc=143"), std::string::npos) << x.out << x.err;
  EXPECT_NE(x.out.find("stopped by signal 15 (SIGTERM)"), std::string::npos) << x.out;
  std::ifstream in(d.path / "grandchild");
  std::string grandchild;
  in >> grandchild;
  ASSERT_FALSE(grandchild.empty()) << "the fake sample never ran";
  EXPECT_TRUE(becomes_gone(grandchild)) << "the sample's child " << grandchild << " survived";
}

TEST(GuestCheckChildren, FullDiskUnderJsonOrSaveSamplesExits3NamingTheFile) {
  TempDir d;
  const std::string judged = " --root " + fixtures::guest_tree_root("gpu-degraded") +
                             " --samples-from " + kFix +
                             "/samples-degraded --nvidia-smi /bin/false";
  fs::create_symlink("/dev/full", d.path / "bandwidth.json");
  struct Case {
    std::string args, names;
  };
  for (const Case& c : {Case{judged + " --json /dev/full", "write on /dev/full: No space left"},
                        Case{judged + " --json - > /dev/full", "write on stdout: No space left"},
                        Case{judged + " > /dev/full", "write on stdout: No space left"},
                        Case{judged + " --save-samples " + d.path.string() + " > /dev/null",
                             "bandwidth.json: No space left"}}) {
    const RunResult x = shell("\"$0\"" + c.args);
    EXPECT_EQ(x.exit_code, check::kExitCouldNotRun) << c.args << "\n" << x.err;
    EXPECT_NE(x.err.find(c.names), std::string::npos) << c.args << "\n" << x.err;
  }
}

}  // namespace
}  // namespace vfiokit::guest
