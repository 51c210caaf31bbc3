// The vfiokit binary end to end on fixture trees: exit statuses and JSON.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/fixtures/hosts/fixture_host.hpp"
#include "tools/tests/cli_run.hpp"
#include "vfiokit/version.hpp"

namespace vfiokit {
namespace {

TEST(Cli, VersionIsTheProjectVersion) {
  const CliRun r = run_cli("--version");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, std::string("vfiokit ") + VFIOKIT_VERSION + "\n");
}

TEST(Cli, CheckExitStatusFollowsTheWorstVerdict) {
  hosts::FixtureHost clean, warn, fail;
  hosts::build_host(clean);
  hosts::HostSpec s;
  s.gpu_flr = false;
  s.gpu_reset_method = "bus";
  hosts::build_host(warn, s);
  hosts::HostSpec f;
  f.audio_driver = "snd_hda_intel";
  hosts::build_host(fail, f);
  EXPECT_EQ(run_cli("--root " + clean.root().string() + " check 01:00.0").status, 0);
  EXPECT_EQ(run_cli("--root " + warn.root().string() + " check 01:00.0").status, 1);
  const CliRun r = run_cli("--json --root " + fail.root().string() + " check 01:00.0");
  EXPECT_EQ(r.status, 2);
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["schema_version"], 1);
  EXPECT_EQ(j["exit_status"], 2);
  EXPECT_EQ(j["subjects"][1]["subject"], "0000:01:00.0");
  EXPECT_EQ(j["subjects"][1]["verdict"], "FAIL");
}

TEST(Cli, BadDeviceAndUsageErrors) {
  hosts::FixtureHost h;
  hosts::build_host(h);
  const CliRun r = run_cli("--json --root " + h.root().string() + " check 09:00.0");
  EXPECT_EQ(r.status, 3);
  EXPECT_EQ(nlohmann::json::parse(r.out)["error"]["errno"], ENODEV);
  EXPECT_EQ(run_cli("frobnicate").status, 64);
  EXPECT_EQ(run_cli("bind").status, 64);
  EXPECT_EQ(run_cli("probe --help").status, 0);
}

TEST(Cli, BindRefusalExitsThreeAndNamesTheUse) {
  hosts::FixtureHost h;
  hosts::build_host(h);
  h.file("proc/self/mountinfo", "40 22 259:0 / /data rw - ext4 /dev/nvme0n1 rw\n");
  const CliRun r = run_cli("--json --root " + h.root().string() + " --state-dir " +
                           (h.root() / "state").string() + " bind 02:00.0");
  EXPECT_EQ(r.status, 3);
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_NE(j["error"]["hint"].get<std::string>().find("mounted on /data"), std::string::npos);
}

TEST(Cli, GlobalOptionsWorkBeforeAndAfterTheSubcommand) {
  hosts::FixtureHost h;
  hosts::build_host(h);
  const std::string root = h.root().string();
  for (const std::string& args : {"--json --root " + root + " check 01:00.0",
                                 "check --json --root " + root + " 01:00.0",
                                 "check 01:00.0 --root " + root + " --json",
                                 "--root " + root + " list --json"}) {
    const CliRun r = run_cli(args);
    EXPECT_EQ(r.status, 0) << args;
    const auto j = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << args << ": not JSON: " << r.out;
    EXPECT_EQ(j["schema_version"], 1) << args;
  }
  // An option no command knows is still a usage error, wherever it stands.
  EXPECT_EQ(run_cli("check --frobnicate 01:00.0").status, 64);
}

TEST(Cli, ListJson) {
  hosts::FixtureHost h;
  hosts::build_host(h);
  const CliRun r = run_cli("--json --root " + h.root().string() + " list");
  EXPECT_EQ(r.status, 0);
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["command"], "list");
  EXPECT_EQ(j["groups"][0]["devices"][0]["bdf"], "0000:01:00.0");
  EXPECT_TRUE(j["groups"][0]["viable"].get<bool>());
}

}  // namespace
}  // namespace vfiokit
