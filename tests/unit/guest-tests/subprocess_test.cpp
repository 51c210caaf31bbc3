// ProcessRunner against children that misbehave: one that closes its pipes and
// sleeps, one that floods its output, one whose grandchild holds the pipes open.
// Each must come back, flagged, with a bounded capture. The elapsed-time bounds are
// generous limits against a hang, not timings.
#include "guest-tests/subprocess.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <string>

#include "tests/unit/guest-tests/process_gone.hpp"

namespace vfiokit::guest {
namespace {

using Clock = std::chrono::steady_clock;
using testing::becomes_gone;
using testing::kNoHang;

ProcessLimits quick_limits() {
  ProcessLimits l;
  l.kill_grace_ms = 500;
  return l;
}

TEST(BoundedSubprocess, ChildThatClosesItsPipesAndSleepsIsKilledAtTheDeadline) {
  ProcessRunner r(quick_limits());
  const auto start = Clock::now();
  const RunResult x = r.run({"sh", "-c", "exec >&- 2>&-; sleep 30"}, 1);
  EXPECT_LT(Clock::now() - start, kNoHang);
  EXPECT_TRUE(x.started);
  EXPECT_TRUE(x.timed_out);
  EXPECT_FALSE(x.did_not_exit);
  EXPECT_EQ(x.exit_code, 128 + SIGTERM);
  EXPECT_NE(x.problem().find("timed out after 1 s"), std::string::npos) << x.problem();
}

TEST(BoundedSubprocess, FloodKeepsTheLastMebibyteOfEachStream) {
  ProcessRunner r;
  const RunResult x = r.run({"sh", "-c",
                             "head -c 5242880 /dev/zero | tr '\\0' x; printf END; "
                             "head -c 3145728 /dev/zero | tr '\\0' y >&2; printf ERR >&2"},
                            120);
  EXPECT_TRUE(x.started);
  EXPECT_FALSE(x.timed_out);
  EXPECT_EQ(x.exit_code, 0);
  EXPECT_EQ(x.out.size(), std::size_t{1} << 20);
  EXPECT_EQ(x.out_dropped, 5242880u + 3 - (1u << 20));
  EXPECT_EQ(x.out.substr(x.out.size() - 4), "xEND");
  EXPECT_EQ(x.err.size(), std::size_t{1} << 20);
  EXPECT_EQ(x.err_dropped, 3145728u + 3 - (1u << 20));
  EXPECT_EQ(x.err.substr(x.err.size() - 4), "yERR");
  EXPECT_NE(x.problem().find("bytes of stdout dropped (kept the last 1048576)"), std::string::npos)
      << x.problem();
}

TEST(BoundedSubprocess, GrandchildHoldingThePipesIsEndedByTheGroupKill) {
  ProcessRunner r(quick_limits());
  // The shell exits at once; its background sleep keeps stdout open.
  const RunResult x = r.run({"sh", "-c", "sleep 300 & echo $!; exit 0"}, 1);
  EXPECT_TRUE(x.started);
  EXPECT_TRUE(x.timed_out);
  EXPECT_FALSE(x.did_not_exit);
  EXPECT_EQ(x.exit_code, 0);  // the shell itself exited normally
  std::string grandchild = x.out;
  while (!grandchild.empty() && grandchild.back() == '\n') grandchild.pop_back();
  ASSERT_FALSE(grandchild.empty());
  EXPECT_TRUE(becomes_gone(grandchild)) << "grandchild " << grandchild << " survived";
}

TEST(BoundedSubprocess, ChildIgnoringSigtermGetsSigkill) {
  ProcessRunner r(quick_limits());
  const RunResult x = r.run({"sh", "-c", "trap '' TERM; exec >&- 2>&-; exec sleep 30"}, 1);
  EXPECT_TRUE(x.timed_out);
  EXPECT_FALSE(x.did_not_exit);
  EXPECT_EQ(x.exit_code, 128 + SIGKILL);
}

TEST(BoundedSubprocess, NothingWrongMeansNoProblem) {
  ProcessRunner r;
  const RunResult x = r.run({"sh", "-c", "echo hi"}, 30);
  EXPECT_EQ(x.exit_code, 0);
  EXPECT_EQ(x.out, "hi\n");
  EXPECT_EQ(x.problem(), "");
}

}  // namespace
}  // namespace vfiokit::guest
