// The check model: severity order, the exit contract, the text and the report document
// (validated against docs/schema/report.schema.json).
#include "check/check.hpp"

#include <gtest/gtest.h>

#include "tests/support/json_schema.hpp"

namespace vfiokit::check {
namespace {

Check make(const std::string& id, Verdict v, std::string hint = {}) {
  return Check{id, id + " title", v, id + " found", std::move(hint), nlohmann::json::object()};
}

testing::JsonSchema schema() {
  return testing::JsonSchema::load(VFIOKIT_SCHEMA_DIR "/report.schema.json");
}

TEST(Check, VerdictsAreOrderedBySeverity) {
  EXPECT_LT(Verdict::kPass, Verdict::kSkip);
  EXPECT_LT(Verdict::kSkip, Verdict::kWarn);
  EXPECT_LT(Verdict::kWarn, Verdict::kFail);
  EXPECT_EQ(Report{}.worst(), Verdict::kPass);
  EXPECT_EQ((Report{"x", {make("a", Verdict::kSkip), make("b", Verdict::kPass)}}.worst()),
            Verdict::kSkip);
  EXPECT_STREQ(verdict_name(Verdict::kWarn), "WARN");
}

TEST(Check, ExitStatusIsTheWorstVerdictOverEveryReport) {
  EXPECT_EQ(exit_status({}), kExitOk);
  const Report pass{"host", {make("a", Verdict::kPass), make("b", Verdict::kSkip)}};
  const Report warn{"0000:01:00.0", {make("c", Verdict::kWarn)}};
  const Report fail{"0000:02:00.0", {make("d", Verdict::kFail), make("e", Verdict::kWarn)}};
  EXPECT_EQ(exit_status({pass}), 0);
  EXPECT_EQ(exit_status({pass, warn}), 1);
  EXPECT_EQ(exit_status({fail, pass, warn}), 2);
  EXPECT_EQ(kExitWarn, 1);
  EXPECT_EQ(kExitFail, 2);
  EXPECT_EQ(kExitCouldNotRun, 3);
  EXPECT_EQ(kExitUsage, 64);
}

TEST(Check, TextAlignsTitlesShowsHintsUnlessPassedAndEndsWithTheSummary) {
  Check timed = make("open", Verdict::kPass, "ignored on a PASS");
  timed.data["ms"] = 1.5;
  const std::vector<Report> rs = {{"host", {timed, make("longer-id", Verdict::kFail, "do this")}},
                                  {"0000:01:00.0", {make("x", Verdict::kSkip)}}};
  EXPECT_EQ(render_text(rs, false),
            "host\n"
            "  PASS  open title            1.50 ms  open found\n"
            "  FAIL  longer-id title  longer-id found\n"
            "                         hint: do this\n"
            "0000:01:00.0\n"
            "  SKIP  x title  x found\n"
            "1 PASS, 0 WARN, 1 FAIL, 1 SKIP: exit 2\n");
  EXPECT_EQ(render_verdict(Verdict::kFail, true), "\x1b[31m\x1b[1mFAIL\x1b[0m\x1b[0m");
  EXPECT_EQ(render_verdict(Verdict::kPass, false), "PASS");
}

TEST(Check, DocumentFollowsTheReportSchema) {
  Check c = make("device.acs", Verdict::kWarn, "enable ACS");
  c.data = {{"acs", false}};
  const nlohmann::json j =
      document("check", {{"host", {make("host.iommu", Verdict::kPass)}}, {"0000:01:00.0", {c}}});
  EXPECT_EQ(j["schema_version"], 2);
  EXPECT_EQ(j["exit_status"], 1);
  EXPECT_EQ(j["verdict"], "WARN");
  EXPECT_EQ(j["reports"][1]["verdict"], "WARN");
  EXPECT_EQ(j["reports"][1]["checks"][0], (nlohmann::json{{"id", "device.acs"},
                                                          {"title", "device.acs title"},
                                                          {"verdict", "WARN"},
                                                          {"summary", "device.acs found"},
                                                          {"hint", "enable ACS"},
                                                          {"data", {{"acs", false}}}}));
  EXPECT_EQ(schema().validate(j), std::vector<std::string>{});
  EXPECT_EQ(schema().validate(document("probe", {})), std::vector<std::string>{});
}

// vfiokit soak's document: one check per reset method with its cycles and timings, a FAIL
// with the cycle it failed on (tools/vfiokit/cmd_soak.cpp).
TEST(Check, SoakDocumentFollowsTheReportSchema) {
  Check flr{"soak.flr",
            "reset flr",
            Verdict::kFail,
            "device stopped answering at cycle 4 of flr",
            "vfiokit restore returns it",
            nlohmann::json::object()};
  flr.data = {{"cycles", 6},
              {"cycles_passed", 3},
              {"failed_cycle", 4},
              {"reset_ms", {{"median", 1.5}, {"p99", 2.0}, {"max", 2.0}}}};
  Check rebind{"soak.rebind", "rebind", Verdict::kSkip, "not run", "", nlohmann::json::object()};
  rebind.data = {{"cycles", 6}, {"cycles_passed", 0}, {"host_driver", "nvme"}};
  const nlohmann::json j = document("soak", {{"0000:01:00.0", {flr, rebind}}});
  EXPECT_EQ(j["command"], "soak");
  EXPECT_EQ(j["exit_status"], 2);
  EXPECT_EQ(schema().validate(j), std::vector<std::string>{});
}

TEST(Check, TheSchemaValidatorRejectsWhatTheSchemaForbids) {
  nlohmann::json j = document("check", {{"host", {make("host.iommu", Verdict::kFail)}}});
  j["reports"][0]["checks"][0]["verdict"] = "BAD";
  j["exit_status"] = 7;
  j["extra"] = 1;
  j["reports"][0].erase("subject");
  const auto errors = schema().validate(j);
  EXPECT_EQ(errors.size(), 4u) << nlohmann::json(errors).dump(1);
}

// probe's device facts: IDs are four and class six lowercase hex digits (pattern).
TEST(Check, TheSchemaValidatorChecksPatterns) {
  nlohmann::json j = document("probe", {{"0000:01:00.0", {make("open", Verdict::kPass)}}});
  j["device"] = {{"bdf", "0000:01:00.0"}, {"present", true}, {"vendor_id", "10de"},
                 {"device_id", "2330"}, {"class", "030200"}};
  EXPECT_EQ(schema().validate(j), std::vector<std::string>{});
  j["device"]["vendor_id"] = "0x10de";
  j["device"]["class"] = "0302";
  EXPECT_EQ(schema().validate(j).size(), 2u) << nlohmann::json(schema().validate(j)).dump(1);
}

}  // namespace
}  // namespace vfiokit::check
