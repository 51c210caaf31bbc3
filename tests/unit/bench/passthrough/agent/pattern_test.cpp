// The data checks of the passthrough harness must catch what a broken device or
// transport does: flipped bits, data from the wrong block, blocks never written.
#include "pattern.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <vector>

#include "measurement.hpp"
#include "report.hpp"

namespace vfiokit::passthrough {
namespace {

TEST(Pattern, RoundTripPasses) {
  std::vector<std::uint8_t> b(kUnitSize);
  for (std::uint64_t i : {0ULL, 1ULL, 4095ULL, 1ULL << 40}) {
    fill_unit(b.data(), b.size(), 42, i);
    EXPECT_FALSE(verify_unit(b.data(), b.size(), 42, i).has_value()) << i;
  }
}

TEST(Pattern, FlippedBitIsCaught) {
  std::vector<std::uint8_t> b(kUnitSize);
  fill_unit(b.data(), b.size(), 7, 3);
  b[2049] ^= 0x10;
  auto bad = verify_unit(b.data(), b.size(), 7, 3);
  ASSERT_TRUE(bad.has_value());
  EXPECT_NE(bad->find("byte 2048"), std::string::npos) << *bad;
}

TEST(Pattern, WrongBlockIsNamed) {
  std::vector<std::uint8_t> b(kUnitSize);
  fill_unit(b.data(), b.size(), 7, 12);
  auto bad = verify_unit(b.data(), b.size(), 7, 13);
  ASSERT_TRUE(bad.has_value());
  EXPECT_NE(bad->find("stamp of unit 12"), std::string::npos) << *bad;
}

TEST(Pattern, StaleSeedAndZerosAreCaught) {
  std::vector<std::uint8_t> b(kUnitSize);
  fill_unit(b.data(), b.size(), 1, 5);
  EXPECT_TRUE(verify_unit(b.data(), b.size(), 2, 5).has_value());  // a previous run's data
  std::memset(b.data(), 0, b.size());
  auto bad = verify_unit(b.data(), b.size(), 1, 5);
  ASSERT_TRUE(bad.has_value());
  EXPECT_NE(bad->find("never written"), std::string::npos) << *bad;
}

TEST(Measurement, Percentiles) {
  std::vector<std::uint64_t> v;
  for (std::uint64_t i = 1; i <= 100; ++i) v.push_back(i);
  EXPECT_EQ(percentile(v, 50), 50u);
  EXPECT_EQ(percentile(v, 99), 99u);
  EXPECT_EQ(percentile(v, 100), 100u);
  EXPECT_EQ(percentile({}, 50), 0u);
}

std::string write_run(const std::string& name, const std::string& body) {
  std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << body;
  return path;
}

const char* kGood =
    "@@VFKPT-READY\n@@VFKPT-INFO "
    "{\"bdf\":\"0000:00:03.0\",\"driver\":\"nvme\",\"pci_id\":\"1b36:0010\"}\n"
    "@@VFKPT-RESULT "
    "{\"name\":\"seq_read_1M\",\"ops\":4,\"bytes\":4194304,\"seconds\":1.0,\"cpu_seconds\":0.5,"
    "\"bytes_per_second\":4194304.0,\"items_per_second\":4.0,\"latency_p50_ns\":1000,\"data_"
    "check\":\"passed\"}\n"
    "@@VFKPT-DONE\n";

TEST(Report, AllPresentAndPassedIsSuccess) {
  ReportRequest q{
      "nvme",
      {{"passthrough", write_run("pt_ok", kGood)}, {"emulated-nvme", write_run("em_ok", kGood)}},
      {"seq_read_1M"},
      "",
      ::testing::TempDir() + "ok.json",
      "",
      ""};
  EXPECT_EQ(write_report(q), 0);
  std::ifstream f(q.json_out);
  auto j = nlohmann::json::parse(f);
  ASSERT_EQ(j["benchmarks"].size(), 3u);  // two iterations and one ratio
  EXPECT_EQ(j["benchmarks"][0]["name"], "nvme/passthrough/seq_read_1M");
  EXPECT_EQ(j["benchmarks"][2]["name"], "nvme/passthrough_vs_emulated-nvme/seq_read_1M");
  EXPECT_DOUBLE_EQ(j["benchmarks"][2]["throughput_ratio"].get<double>(), 1.0);
}

TEST(Report, FailedCheckMissingResultOrUnfinishedRunIsFailure) {
  std::string bad = kGood;
  bad.replace(bad.find("\"passed\""), 8, "\"unit 3 differs\"");
  ReportRequest q{"nvme", {{"passthrough", write_run("pt_bad", bad)}}, {"seq_read_1M"}, "", "", "",
                  ""};
  EXPECT_EQ(write_report(q), 1);
  q.runs = {{"passthrough", write_run("pt_missing", "@@VFKPT-READY\n@@VFKPT-DONE\n")}};
  EXPECT_EQ(write_report(q), 1);
  std::string unfinished = kGood;
  unfinished.erase(unfinished.find("@@VFKPT-DONE"));
  q.runs = {{"passthrough", write_run("pt_unfinished", unfinished)}};
  EXPECT_EQ(write_report(q), 1);
  q.runs = {
      {"passthrough", write_run("pt_fail", "@@VFKPT-READY\n@@VFKPT-FAIL no disk appeared\n")}};
  EXPECT_EQ(write_report(q), 1);
}

}  // namespace
}  // namespace vfiokit::passthrough
