// How vfiokit runs modprobe as root, with fake modprobe programs: by absolute path
// only, with a fixed environment and stdin /dev/null, bounded by a timeout, and every
// way it can fail (missing, non-zero exit, a signal, a hang) reported as a failure.
#include "tools/host/kernel_modules.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace vfiokit::host {
namespace {

namespace fs = std::filesystem;

// No /proc entry or a zombie: dead. SIGKILL takes effect asynchronously, so this
// waits, bounded by a limit against a hang (60 s), not a timing.
bool becomes_gone(const std::string& pid) {
  for (int i = 0; i < 1200; ++i) {
    std::ifstream stat("/proc/" + pid + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return true;
    const auto paren = line.rfind(')');
    if (paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z')
      return true;
    ::usleep(50000);
  }
  return false;
}

struct FakeModprobe : ::testing::Test {
  fs::path dir;
  void SetUp() override {
    std::string t = (fs::temp_directory_path() / "fake-modprobe.XXXXXX").string();
    dir = mkdtemp(t.data());
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  // A modprobe that runs `body` (sh); its options use only it.
  ModprobeOptions fake(const std::string& body) {
    const fs::path p = dir / "modprobe";
    std::ofstream(p) << "#!/bin/sh\n" << body;
    fs::permissions(p, fs::perms::owner_all);
    ModprobeOptions o;
    o.programs = {(dir / "absent").string(), p.string()};
    o.kill_grace_ms = 500;
    return o;
  }
  std::string slurp(const std::string& name) {
    std::ifstream in(dir / name);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
};

TEST_F(FakeModprobe, RunsWithOnlyTheFixedEnvironmentAndStdinFromDevNull) {
  ::setenv("VFIOKIT_TEST_LEAK", "from the caller", 1);
  const std::string d = dir.string();
  std::string why;
  EXPECT_TRUE(modprobe("vfio-pci", &why,
                       fake("env > " + d + "/env\nreadlink /proc/self/fd/0 > " + d +
                            "/stdin\necho \"$@\" > " + d + "/args\n")))
      << why;
  ::unsetenv("VFIOKIT_TEST_LEAK");
  std::string env = slurp("env");
  // sh itself may add PWD, SHLVL and _; nothing of the caller's may arrive.
  EXPECT_NE(env.find("PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"), std::string::npos) << env;
  EXPECT_NE(env.find("LC_ALL=C\n"), std::string::npos) << env;
  EXPECT_EQ(env.find("VFIOKIT_TEST_LEAK"), std::string::npos) << env;
  EXPECT_EQ(env.find("HOME="), std::string::npos) << env;
  EXPECT_EQ(env.find("LD_"), std::string::npos) << env;
  EXPECT_EQ(slurp("stdin"), "/dev/null\n");
  EXPECT_EQ(slurp("args"), "vfio-pci\n");
}

TEST_F(FakeModprobe, NonZeroExitAndSignalAreFailures) {
  std::string why;
  EXPECT_FALSE(modprobe("vfio-pci", &why, fake("exit 1\n")));
  EXPECT_EQ(why, "modprobe vfio-pci exited 1");
  EXPECT_FALSE(modprobe("vfio-pci", &why, fake("kill -KILL $$\n")));
  EXPECT_EQ(why, "modprobe vfio-pci was killed by signal 9");
}

TEST_F(FakeModprobe, HangIsKilledAtTheTimeoutWithItsChildren) {
  std::string why;
  ModprobeOptions o = fake("sleep 300 &\necho $! > " + dir.string() + "/child\nwait\n");
  o.timeout_s = 1;
  EXPECT_FALSE(modprobe("vfio-pci", &why, o));
  EXPECT_EQ(why, "modprobe vfio-pci timed out after 1 s (killed; see dmesg)");
  // The group kill reached the install command's child too (it may linger as a zombie).
  std::string child = slurp("child");
  while (!child.empty() && child.back() == '\n') child.pop_back();
  ASSERT_FALSE(child.empty());
  EXPECT_TRUE(becomes_gone(child)) << "modprobe's child " << child << " survived";
}

TEST_F(FakeModprobe, NoModprobeNamesWhereItLooked) {
  std::string why;
  ModprobeOptions o;
  o.programs = {"/nonexistent/modprobe", "/nonexistent/sbin/modprobe"};
  EXPECT_FALSE(modprobe("vfio-pci", &why, o));
  EXPECT_EQ(why,
            "cannot run modprobe: none of /nonexistent/modprobe, /nonexistent/sbin/modprobe "
            "exists (install kmod)");
}

}  // namespace
}  // namespace vfiokit::host
