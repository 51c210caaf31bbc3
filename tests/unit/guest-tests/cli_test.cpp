// vfiokit-guest-check end to end on the fixture trees (tests/fixtures/guest): the exit
// contract (docs/cli.md: 0 PASS/SKIP, 1 WARN, 2 FAIL, 3 could not run, 64 usage) and
// its --json validated against docs/schema/report.schema.json.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "check/check.hpp"
#include "tests/support/cli_run.hpp"
#include "tests/support/guest_tree.hpp"
#include "tests/support/json_schema.hpp"

namespace vfiokit::guest {
namespace {

const std::string kFix = VFIOKIT_GUEST_FIXTURES;

CliRun guest_check(const std::string& args) {
  return run_program(VFIOKIT_GUEST_CHECK_BIN, args + " --nvidia-smi /bin/false");
}

TEST(GuestCheckCli, ExitContractAndReportSchema) {
  const auto schema = check::testing::JsonSchema::load(VFIOKIT_SCHEMA_DIR "/report.schema.json");
  struct Case {
    std::string args;
    int status;
  };
  const std::vector<Case> judged = {
      // NVMe on nvme, an integrated endpoint: every check PASS or SKIP.
      {"--root " + fixtures::guest_tree_root("qemu") + " --device 0000:00:03.0", check::kExitOk},
      // A GPU below its link speed, config space unreadable to a user: WARNs only.
      {"--root " + fixtures::guest_tree_root("user") + " --device 0000:01:00.0 --no-cuda",
       check::kExitWarn},
      // --strict is accepted and changes nothing.
      {"--root " + fixtures::guest_tree_root("user") + " --device 0000:01:00.0 --no-cuda --strict",
       check::kExitWarn},
      // A GPU on a degraded link with a failed CUDA job.
      {"--root " + fixtures::guest_tree_root("gpu-degraded") + " --samples-from " + kFix +
           "/samples-degraded",
       check::kExitFail},
      // A device that is not there.
      {"--root " + fixtures::guest_tree_root("qemu") + " --device 0000:00:1f.7", check::kExitFail},
  };
  for (const auto& c : judged) {
    const CliRun text = guest_check(c.args);
    EXPECT_EQ(text.status, c.status) << c.args << "\n" << text.out;
    EXPECT_NE(text.out.find(": exit " + std::to_string(c.status) + "\n"), std::string::npos)
        << c.args << ": no summary line\n"
        << text.out;
    const CliRun json = guest_check(c.args + " --json -");
    EXPECT_EQ(json.status, c.status) << c.args;
    const auto j = nlohmann::json::parse(json.out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << c.args << ": not JSON: " << json.out;
    EXPECT_EQ(schema.validate(j), std::vector<std::string>{}) << c.args << "\n" << json.out;
    EXPECT_EQ(j["exit_status"], c.status) << c.args;
    EXPECT_EQ(j["command"], "guest-check");
    EXPECT_TRUE(j["context"].is_object() && j["benchmarks"].is_array()) << c.args;
  }

  // Could not run: no sysfs under --root, no device to check, an impossible link, an
  // unwritable --json.
  for (const std::string& args :
       {"--root " + kFix + "/no-such-tree", "--root " + fixtures::guest_tree_root("qemu"),
        "--root " + fixtures::guest_tree_root("qemu") +
            " --device 0000:00:03.0 --expect-link gen9x16",
        "--root " + fixtures::guest_tree_root("qemu") +
            " --device 0000:00:03.0 --json /nonexistent/dir/out.json"})
    EXPECT_EQ(guest_check(args).status, check::kExitCouldNotRun) << args;
  // Usage.
  for (const std::string& args : {std::string("--no-such-option"), std::string("--link-fraction 2"),
                                  std::string("--jobs 0"), std::string("extra-positional")})
    EXPECT_EQ(guest_check(args).status, check::kExitUsage) << args;
  EXPECT_EQ(guest_check("--help").status, check::kExitOk);
}

}  // namespace
}  // namespace vfiokit::guest
