// vfiokit's stdout is an output: into a full disk (/dev/full) a listing, a report or
// its JSON is lost, and the program must exit 3 saying so, not 0 or its verdict. (A
// large output fails during the run: then the errno is gone, the message says so.)
#include <gtest/gtest.h>

#include <string>

#include "check/check.hpp"
#include "tests/support/cli_run.hpp"
#include "tests/support/fixture_tree.hpp"

namespace vfiokit {
namespace {

TEST(StdoutLost, FullDiskUnderStdoutExits3) {
  fixtures::FixtureTree host;
  fixtures::build_host(host);
  const std::string root = "--root " + host.root().string();
  for (const std::string& args : {root + " list", root + " --json list", root + " check 01:00.0",
                                  root + " --json check --all"}) {
    const CliRun ok = run_cli(args + " > /dev/null");
    EXPECT_NE(ok.status, check::kExitCouldNotRun) << args;
    // stderr into the pipe we read, stdout into the full disk.
    const CliRun lost = run_program("sh", "-c '\"$0\" " + args + " 2>&1 > /dev/full' " VFIOKIT_BIN);
    EXPECT_EQ(lost.status, check::kExitCouldNotRun) << args << "\n" << lost.out;
    EXPECT_NE(lost.out.find("vfiokit: write on stdout: "), std::string::npos) << args << "\n"
                                                                              << lost.out;
  }
}

}  // namespace
}  // namespace vfiokit
