// The vfiokit binary end to end on fixture trees: exit statuses and JSON.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "check/check.hpp"
#include "tests/support/cli_run.hpp"
#include "tests/support/fixture_tree.hpp"
#include "tests/support/json_schema.hpp"
#include "vfiokit/version.hpp"

namespace vfiokit {
namespace {

TEST(Cli, VersionIsTheProjectVersion) {
  const CliRun r = run_cli("--version");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, std::string("vfiokit ") + VFIOKIT_VERSION + "\n");
}

// The exit contract (docs/cli.md) of every subcommand that judges, on fixture trees:
// 0 PASS/SKIP, 1 WARN, 2 FAIL, 3 could not run, 64 usage; the --json document of
// check and probe validated against docs/schema/report.schema.json, with its
// exit_status equal to the program's.
TEST(Cli, ExitContractAndReportSchema) {
  const auto schema = check::testing::JsonSchema::load(VFIOKIT_SCHEMA_DIR "/report.schema.json");
  fixtures::FixtureTree clean, warn, fail;
  fixtures::build_host(clean);
  fixtures::HostSpec s;
  s.gpu_flr = false;
  s.gpu_reset_method = "bus";
  fixtures::build_host(warn, s);
  fixtures::HostSpec f;
  f.audio_driver = "snd_hda_intel";
  fixtures::build_host(fail, f);
  // probe opens through the real /dev/vfio and sysfs, not --root: it gets a device in a
  // PCI domain no machine has, whose open FAILs wherever the test runs.
  const std::string nowhere = "fffe:00:1f.7";
  fixtures::FixtureTree probe_host;
  fixtures::build_host(probe_host);
  fixtures::FixtureDevice d;
  d.bdf = nowhere;
  d.vendor = 0x1234;
  d.device = 0x11e8;
  d.class_code = 0x00ff00;
  d.driver = "vfio-pci";
  d.group = 99;
  probe_host.add_device(d);
  struct Case {
    std::string args;
    int status;
  };
  const std::vector<Case> judged = {
      {"--root " + clean.root().string() + " check 01:00.0", check::kExitOk},
      {"--root " + warn.root().string() + " check 01:00.0", check::kExitWarn},
      {"--root " + fail.root().string() + " check 01:00.0", check::kExitFail},
      // --all adds the GPU's audio function, which has no FLR: a WARN.
      {"--root " + clean.root().string() + " check --all", check::kExitWarn},
      {"--root " + probe_host.root().string() + " probe " + nowhere + " --backend container",
       check::kExitFail},
  };
  std::vector<nlohmann::json> docs;
  for (const auto& c : judged) {
    const CliRun text = run_cli(c.args);
    EXPECT_EQ(text.status, c.status) << c.args << "\n" << text.out;
    EXPECT_NE(text.out.find(fmt::format(": exit {}\n", c.status)), std::string::npos)
        << c.args << ": no summary line\n"
        << text.out;
    const CliRun json = run_cli("--json " + c.args);
    EXPECT_EQ(json.status, c.status) << c.args;
    const auto j = nlohmann::json::parse(json.out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << c.args << ": not JSON: " << json.out;
    EXPECT_EQ(schema.validate(j), std::vector<std::string>{}) << c.args << "\n" << json.out;
    EXPECT_EQ(j["exit_status"], c.status) << c.args;
    docs.push_back(j);
  }
  ASSERT_EQ(docs.size(), judged.size());
  const nlohmann::json& failed = docs[2];
  EXPECT_EQ(failed["command"], "check");
  EXPECT_EQ(failed["reports"][0]["subject"], "host");
  EXPECT_EQ(failed["reports"][1]["subject"], "0000:01:00.0");
  EXPECT_EQ(failed["reports"][1]["verdict"], "FAIL");
  EXPECT_EQ(failed["verdict"], "FAIL");

  // probe's report: one check per step, what served it on open and driver.
  const nlohmann::json& p = docs[4];
  EXPECT_EQ(p["command"], "probe");
  ASSERT_EQ(p["reports"].size(), 1u);
  EXPECT_EQ(p["reports"][0]["subject"], nowhere);
  const auto& open = p["reports"][0]["checks"][0];
  EXPECT_EQ(open["id"], "open");
  EXPECT_EQ(open["verdict"], "FAIL");
  EXPECT_EQ(open["data"]["backend"], "container");
  EXPECT_TRUE(open["data"]["context"].is_null());
  EXPECT_TRUE(open["data"]["ms"].is_number());
  // The device's facts, read before the proof as check reads them.
  EXPECT_EQ(p["device"]["bdf"], nowhere);
  EXPECT_EQ(p["device"]["vendor_id"], "1234");
  EXPECT_EQ(p["device"]["driver"], "vfio-pci");
  EXPECT_EQ(p["device"]["iommu_group"], 99);

  // Could not run (3), for each subcommand that takes a device; usage errors (64).
  const std::string root = "--root " + clean.root().string();
  const std::string state = " --state-dir " + (clean.root() / "state").string();
  for (const std::string& args :
       {root + " check 09:00.0", root + " probe 09:00.0", root + " info 09:00.0",
        root + state + " bind 09:00.0", root + state + " unbind 09:00.0",
        "--root " + probe_host.root().string() + " probe " + nowhere + " --backend bogus"})
    EXPECT_EQ(run_cli(args).status, check::kExitCouldNotRun) << args;
  for (const std::string& args :
       {std::string("frobnicate"), std::string(""), std::string("list extra-arg"),
        std::string("check --frobnicate"), std::string("probe"), std::string("check --nfd-ttl 1")})
    EXPECT_EQ(run_cli(args).status, check::kExitUsage) << args;
}

TEST(Cli, BadDeviceAndUsageErrors) {
  fixtures::FixtureTree h;
  fixtures::build_host(h);
  const CliRun r = run_cli("--json --root " + h.root().string() + " check 09:00.0");
  EXPECT_EQ(r.status, 3);
  EXPECT_EQ(nlohmann::json::parse(r.out)["error"]["errno"], ENODEV);
  EXPECT_EQ(run_cli("frobnicate").status, 64);
  EXPECT_EQ(run_cli("bind").status, 64);
  EXPECT_EQ(run_cli("probe --help").status, 0);
}

TEST(Cli, BindRefusalExitsThreeAndNamesTheUse) {
  fixtures::FixtureTree h;
  fixtures::build_host(h);
  h.file("proc/self/mountinfo", "40 22 259:0 / /data rw - ext4 /dev/nvme0n1 rw\n");
  const CliRun r = run_cli("--json --root " + h.root().string() + " --state-dir " +
                           (h.root() / "state").string() + " bind 02:00.0");
  EXPECT_EQ(r.status, 3);
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_NE(j["error"]["hint"].get<std::string>().find("mounted on /data"), std::string::npos);
}

TEST(Cli, GlobalOptionsWorkBeforeAndAfterTheSubcommand) {
  fixtures::FixtureTree h;
  fixtures::build_host(h);
  const std::string root = h.root().string();
  for (const std::string& args :
       {"--json --root " + root + " check 01:00.0", "check --json --root " + root + " 01:00.0",
        "check 01:00.0 --root " + root + " --json", "--root " + root + " list --json"}) {
    const CliRun r = run_cli(args);
    EXPECT_EQ(r.status, 0) << args;
    const auto j = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << args << ": not JSON: " << r.out;
    EXPECT_EQ(j["schema_version"], args.find("list") == std::string::npos ? 2 : 1) << args;
  }
  // An option no command knows is still a usage error, wherever it stands.
  EXPECT_EQ(run_cli("check --frobnicate 01:00.0").status, 64);
}

TEST(Cli, ListJson) {
  fixtures::FixtureTree h;
  fixtures::build_host(h);
  const CliRun r = run_cli("--json --root " + h.root().string() + " list");
  EXPECT_EQ(r.status, 0);
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["command"], "list");
  EXPECT_EQ(j["groups"][0]["devices"][0]["bdf"], "0000:01:00.0");
  EXPECT_TRUE(j["groups"][0]["viable"].get<bool>());
}

}  // namespace
}  // namespace vfiokit
