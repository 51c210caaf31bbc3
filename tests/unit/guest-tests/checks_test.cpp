// Unit tests of the guest check on fixture trees (tests/support/guest_tree, built at
// test time): facts and every verdict rule, including a
// GPU on a degraded link and a parallel job that failed verification.
#include "guest-tests/checks.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <map>

#include "guest-tests/cuda_samples.hpp"
#include "guest-tests/device_selector.hpp"
#include "guest-tests/nvidia.hpp"
#include "guest-tests/report.hpp"
#include "guest-tests/subprocess.hpp"
#include "pci/device_facts.hpp"
#include "pci/link.hpp"
#include "pci/link_budget.hpp"
#include "tests/support/guest_tree.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit::guest {
namespace {

using check::Check;
using check::Verdict;

const std::string kFix = VFIOKIT_GUEST_FIXTURES;
const std::string kGpu = "0000:01:00.0";

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

pci::DeviceFacts facts(const std::string& tree, const std::string& bdf) {
  return pci::read_device_facts(Sysfs(fixtures::guest_tree_root(tree)), bdf);
}

std::map<std::string, Check> by_name(const std::vector<Check>& checks) {
  std::map<std::string, Check> m;
  for (const auto& c : checks) m[c.id] = c;
  return m;
}

std::vector<SampleOutput> samples(const std::string& dir) {
  std::vector<SampleOutput> out;
  for (const auto& s : cuda_sample_names()) out.push_back(load_sample(kFix + "/" + dir, s));
  return out;
}

// Answers nvidia-smi calls with canned output, records what was run.
class FakeRunner : public CommandRunner {
 public:
  std::map<std::string, RunResult> answers;  // by argv[1]
  std::vector<std::vector<std::string>> calls;
  RunResult run(const std::vector<std::string>& argv, int) override {
    calls.push_back(argv);
    auto it = answers.find(argv.size() > 1 ? argv[1] : "");
    if (it != answers.end()) return it->second;
    RunResult r;
    r.err = "cannot execute " + argv[0] + ": No such file or directory";
    return r;
  }
};

RunResult ok_run(std::string out) {
  RunResult r;
  r.started = true;
  r.exit_code = 0;
  r.out = std::move(out);
  return r;
}

TEST(DeviceFacts, ReadsAGpuFromSysfsAndConfigSpace) {
  const pci::DeviceFacts f = facts("gpu-ok", kGpu);
  ASSERT_TRUE(f.present);
  EXPECT_EQ(f.vendor, 0x10de);
  EXPECT_EQ(f.device, 0x2331);
  EXPECT_TRUE(f.is_nvidia_gpu());
  EXPECT_EQ(f.driver, "nvidia");
  EXPECT_EQ(f.iommu_group, 13);
  EXPECT_EQ(f.numa_node, 0);
  EXPECT_EQ(f.config_bytes, 4096u);
  EXPECT_TRUE(f.config_errors.empty());
  EXPECT_EQ(f.msix_table_size, 9u);
  EXPECT_TRUE(f.msix_enabled);
  EXPECT_EQ(f.irq_vectors, 9u);
  EXPECT_EQ(f.msi_vectors, 1u);
  EXPECT_FALSE(f.msi_enabled);
  ASSERT_TRUE(f.link);
  EXPECT_EQ(f.link_source, "config");
  EXPECT_EQ(f.link->max_gen, 5u);
  EXPECT_EQ(f.link->cur_width, 16u);
  EXPECT_EQ(f.mps, 256u);
  EXPECT_EQ(f.mrrs, 512u);
  ASSERT_TRUE(f.aer);
  EXPECT_EQ(f.aer->correctable, 0u);
  ASSERT_GE(f.bars.size(), 3u);
  EXPECT_EQ(f.bars[0].size, 16u << 20);
  EXPECT_EQ(f.bars[1].index, 1u);
  EXPECT_EQ(f.bars[1].size, 128ull << 30);
  EXPECT_TRUE(f.bars[1].mem64 && f.bars[1].prefetchable && f.bars[1].assigned);
}

TEST(DeviceFacts, WithoutRootTheLinkComesFromSysfs) {
  const pci::DeviceFacts f = facts("user", kGpu);
  EXPECT_EQ(f.config_bytes, 64u);
  EXPECT_TRUE(f.config_errors.empty());  // a cut-off chain is not a broken one
  ASSERT_TRUE(f.link);
  EXPECT_EQ(f.link_source, "sysfs");
  EXPECT_EQ(f.link->cur_gen, 4u);
  EXPECT_EQ(f.link->max_gen, 5u);
  EXPECT_EQ(f.link->max_width, 16u);
  EXPECT_EQ(pci::parse_sysfs_link_speed("16.0 GT/s PCIe"), 16.0);
  EXPECT_EQ(pci::parse_sysfs_link_speed("Unknown"), 0.0);
}

TEST(DeviceFacts, SelectorsFindDevicesOrSayWhy) {
  const Sysfs s(fixtures::guest_tree_root("qemu"));
  EXPECT_EQ(resolve_selector(s, "1b36:0010"), std::vector<std::string>{"0000:00:03.0"});
  EXPECT_EQ(resolve_selector(s, "00:03.0"), std::vector<std::string>{"0000:00:03.0"});
  EXPECT_THROW(resolve_selector(s, "10de:2331"), Error);
  EXPECT_THROW(resolve_selector(s, "not-a-device"), Error);
  EXPECT_EQ(find_nvidia_gpus(s), std::vector<std::string>{});
  EXPECT_EQ(find_nvidia_gpus(Sysfs(fixtures::guest_tree_root("gpu-ok"))),
            std::vector<std::string>{kGpu});
}

TEST(DeviceChecks, HealthyGpuPassesEveryCheck) {
  const auto checks = check_device(facts("gpu-ok", kGpu), {});
  for (const auto& c : checks) EXPECT_EQ(c.verdict, Verdict::kPass) << c.id << ": " << c.summary;
  const auto m = by_name(checks);
  for (const char* n : {"present", "driver", "bars", "config_space", "msix", "link", "aer"})
    EXPECT_TRUE(m.count(n)) << n;
  EXPECT_NE(m.at("link").summary.find("63.0 GB/s"), std::string::npos) << m.at("link").summary;
  EXPECT_EQ((check::Report{kGpu, checks}.worst()), Verdict::kPass);
}

TEST(DeviceChecks, GpuOnADegradedLinkFailsWithTheTrainedLinkInTheHint) {
  const auto m = by_name(check_device(facts("gpu-degraded", kGpu), {}));
  EXPECT_EQ(m.at("link").verdict, Verdict::kFail);
  EXPECT_NE(m.at("link").summary.find("Gen3 x8"), std::string::npos) << m.at("link").summary;
  EXPECT_NE(m.at("link").hint.find("x8 of x16"), std::string::npos) << m.at("link").hint;
  EXPECT_EQ(m.at("aer").verdict, Verdict::kWarn);
  EXPECT_NE(m.at("aer").summary.find("12 correctable"), std::string::npos);

  CheckOptions o;
  o.expect_link = pci::parse_link_spec("gen5x16");
  const auto e = by_name(check_device(facts("gpu-degraded", kGpu), o));
  EXPECT_EQ(e.at("link").verdict, Verdict::kFail);
  EXPECT_NE(e.at("link").hint.find("trained at Gen3 x8 (8 GT/s) instead of Gen5 x16"),
            std::string::npos)
      << e.at("link").hint;
}

TEST(DeviceChecks, SpeedBelowMaxWarnsAndExpectedLinkAboveTheCardFails) {
  const auto m = by_name(check_device(facts("user", kGpu), {}));
  EXPECT_EQ(m.at("link").verdict, Verdict::kWarn);
  EXPECT_NE(m.at("link").hint.find("Gen4 of Gen5"), std::string::npos);
  EXPECT_EQ(m.at("config_space").verdict, Verdict::kWarn);
  EXPECT_EQ(m.at("msix").verdict, Verdict::kSkip);

  CheckOptions o;
  o.expect_link = pci::parse_link_spec("gen6x16");
  EXPECT_EQ(by_name(check_device(facts("gpu-ok", kGpu), o)).at("link").verdict, Verdict::kFail);
  o.expect_link = pci::parse_link_spec("gen4x8");
  EXPECT_EQ(by_name(check_device(facts("gpu-ok", kGpu), o)).at("link").verdict, Verdict::kPass);
}

// A resource file that does not parse is a FAIL quoting the error (which names the file),
// not a shorter BAR list that passes.
TEST(DeviceChecks, MalformedResourceFileFailsTheBarsCheck) {
  pci::DeviceFacts f = facts("gpu-ok", kGpu);
  f.bars.clear();
  f.bars_error = "parse PCI resource line on /sys/bus/pci/devices/0000:01:00.0/resource: bad";
  const auto bars = by_name(check_device(f, {})).at("bars");
  EXPECT_EQ(bars.verdict, Verdict::kFail);
  EXPECT_EQ(bars.summary, f.bars_error);
}

TEST(DeviceChecks, QemuDevicesAsTheTestBedShowsThem) {
  const auto nvme = by_name(check_device(facts("qemu", "0000:00:03.0"), {}));
  EXPECT_EQ(nvme.at("driver").verdict, Verdict::kPass);
  EXPECT_EQ(nvme.at("msix").verdict, Verdict::kPass);
  EXPECT_EQ(nvme.at("link").verdict, Verdict::kSkip);  // integrated endpoint on pcie.0
  EXPECT_NE(nvme.at("link").summary.find("integrated endpoint"), std::string::npos);
  EXPECT_FALSE(nvme.count("aer"));  // no counters, no check

  const auto nic = by_name(check_device(facts("qemu", "0000:01:00.0"), {}));
  EXPECT_EQ(nic.at("driver").verdict, Verdict::kFail);
  EXPECT_EQ(nic.at("msix").verdict, Verdict::kWarn);
  EXPECT_NE(nic.at("msix").hint.find("no driver"), std::string::npos);
  EXPECT_EQ(nic.at("link").verdict, Verdict::kPass);  // Gen1 x1 of Gen1 x1

  const auto edu = by_name(check_device(facts("qemu", "0000:00:04.0"), {}));
  EXPECT_EQ(edu.at("bars").verdict, Verdict::kFail);
  EXPECT_NE(edu.at("bars").summary.find("unassigned: BAR2"), std::string::npos);
  EXPECT_NE(edu.at("bars").hint.find("MMIO window"), std::string::npos);
}

TEST(DeviceChecks, ExpectedDriverAndMissingDevice) {
  CheckOptions o;
  o.expect_driver = "vfio-pci";
  const auto m = by_name(check_device(facts("qemu", "0000:00:03.0"), o));
  EXPECT_EQ(m.at("driver").verdict, Verdict::kFail);
  EXPECT_NE(m.at("driver").summary.find("bound to nvme, expected vfio-pci"), std::string::npos);

  const auto missing = check_device(facts("qemu", "0000:09:00.0"), {});
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].id, "present");
  EXPECT_EQ(missing[0].verdict, Verdict::kFail);
  EXPECT_FALSE(missing[0].hint.empty());
}

TEST(Nvidia, ModuleVersionAndNvidiaSmiParsing) {
  EXPECT_EQ(nvidia_module_version(fixtures::guest_tree_root("gpu-ok")), "580.95.05");
  EXPECT_EQ(nvidia_module_version(fixtures::guest_tree_root("qemu")), std::nullopt);
  EXPECT_EQ(parse_nvidia_smi_version(slurp(kFix + "/nvidia-smi/version.txt")), "580.95.05");
  const auto gpus =
      parse_nvidia_smi_csv(slurp(kFix + "/nvidia-smi/query-degraded.csv") + "garbage line\n");
  ASSERT_EQ(gpus.size(), 1u);
  EXPECT_EQ(gpus[0].bdf, kGpu);
  EXPECT_EQ(gpus[0].name, "NVIDIA H100 PCIe");
  EXPECT_EQ(gpus[0].link_gen_cur, 3u);
  EXPECT_EQ(gpus[0].link_width_cur, 8u);
  EXPECT_EQ(gpus[0].memory_mib, 81559);
}

TEST(Nvidia, ChecksDriverAndNvidiaSmi) {
  const pci::DeviceFacts f = facts("gpu-ok", kGpu);
  FakeRunner r;
  r.answers["--version"] = ok_run(slurp(kFix + "/nvidia-smi/version.txt"));
  r.answers[nvidia_smi_query_argv("nvidia-smi")[1]] =
      ok_run(slurp(kFix + "/nvidia-smi/query-ok.csv"));
  const SmiReport smi = query_nvidia_smi(r);
  EXPECT_TRUE(smi.ran);
  EXPECT_EQ(smi.version, "580.95.05");
  auto m =
      by_name(check_nvidia(f, nvidia_module_version(fixtures::guest_tree_root("gpu-ok")), smi));
  EXPECT_EQ(m.at("nvidia_driver").verdict, Verdict::kPass);
  EXPECT_EQ(m.at("nvidia_smi").verdict, Verdict::kPass) << m.at("nvidia_smi").summary;

  r.answers[nvidia_smi_query_argv("nvidia-smi")[1]] =
      ok_run(slurp(kFix + "/nvidia-smi/query-other-gpu.csv"));
  m = by_name(check_nvidia(f, "580.95.05", query_nvidia_smi(r)));
  EXPECT_EQ(m.at("nvidia_smi").verdict, Verdict::kFail);
  EXPECT_NE(m.at("nvidia_smi").summary.find("not 0000:01:00.0"), std::string::npos);

  r.answers[nvidia_smi_query_argv("nvidia-smi")[1]] =
      ok_run(slurp(kFix + "/nvidia-smi/query-mismatch.csv"));
  m = by_name(check_nvidia(f, "580.95.05", query_nvidia_smi(r)));
  EXPECT_EQ(m.at("nvidia_smi").verdict, Verdict::kFail);
  EXPECT_NE(m.at("nvidia_smi").hint.find("differ"), std::string::npos);

  FakeRunner none;  // nvidia-smi not installed
  m = by_name(check_nvidia(f, std::nullopt, query_nvidia_smi(none)));
  EXPECT_EQ(m.at("nvidia_driver").verdict, Verdict::kFail);
  EXPECT_EQ(m.at("nvidia_smi").verdict, Verdict::kFail);
  EXPECT_NE(m.at("nvidia_smi").hint.find("install"), std::string::npos);

  RunResult no_dev;
  no_dev.started = true;
  no_dev.exit_code = 6;
  no_dev.out = "No devices were found\n";
  FakeRunner broken;
  broken.answers[nvidia_smi_query_argv("nvidia-smi")[1]] = no_dev;
  m = by_name(check_nvidia(f, "580.95.05", query_nvidia_smi(broken)));
  EXPECT_EQ(m.at("nvidia_smi").verdict, Verdict::kFail);
  EXPECT_NE(m.at("nvidia_smi").summary.find("No devices were found"), std::string::npos);
}

TEST(SampleChecks, HealthyGpuAndSamplesPass) {
  const auto out = samples("samples-ok");
  for (const auto& s : out) ASSERT_TRUE(s.ran && s.ok) << s.sample << ": " << s.problem;
  EXPECT_EQ(best_pinned_ce(out[0], "h2d"), 55.3);
  EXPECT_EQ(best_pinned_ce(out[0], "d2h"), 55.1);
  CheckOptions o;
  o.min_h2d_gbs = o.min_d2h_gbs = 50;  // the H100 PCIe Gen5 x16 target
  const auto checks = check_samples(facts("gpu-ok", kGpu), out, o);
  for (const auto& c : checks) EXPECT_EQ(c.verdict, Verdict::kPass) << c.id << ": " << c.summary;
  const auto m = by_name(checks);
  EXPECT_NE(m.at("cuda.h2d_pinned").summary.find("55.3 GB/s = 99% of Gen5 x16"), std::string::npos)
      << m.at("cuda.h2d_pinned").summary;
  EXPECT_NE(m.at("cuda.concurrency").summary.find("10 process jobs"), std::string::npos)
      << m.at("cuda.concurrency").summary;
  for (const char* n :
       {"cuda.bandwidth", "cuda.d2h_pinned", "cuda.membw", "cuda.gemm", "cuda.launch"})
    EXPECT_TRUE(m.count(n)) << n;

  o.min_h2d_gbs = 60;
  EXPECT_EQ(by_name(check_samples(facts("gpu-ok", kGpu), out, o)).at("cuda.h2d_pinned").verdict,
            Verdict::kFail);
  o = {};
  o.jobs = 16;  // expected more parallel jobs than reported
  EXPECT_EQ(by_name(check_samples(facts("gpu-ok", kGpu), out, o)).at("cuda.concurrency").verdict,
            Verdict::kFail);
}

TEST(SampleChecks, DegradedLinkAndFailedParallelJob) {
  const auto out = samples("samples-degraded");
  auto m = by_name(check_samples(facts("gpu-degraded", kGpu), out, {}));
  // 6.4 GB/s on a Gen5 x16 card that trained at Gen3 x8: below 80%, the hint names the link.
  EXPECT_EQ(m.at("cuda.h2d_pinned").verdict, Verdict::kWarn);
  EXPECT_NE(
      m.at("cuda.h2d_pinned").hint.find("link trained at Gen3 x8 (8 GT/s) instead of Gen5 x16"),
      std::string::npos)
      << m.at("cuda.h2d_pinned").hint;
  EXPECT_EQ(m.at("cuda.concurrency").verdict, Verdict::kFail);
  EXPECT_NE(m.at("cuda.concurrency")
                .summary.find("1 of 20 parallel jobs failed verification: process job 7"),
            std::string::npos)
      << m.at("cuda.concurrency").summary;

  CheckOptions o;
  o.min_h2d_gbs = 50;
  m = by_name(check_samples(facts("gpu-degraded", kGpu), out, o));
  EXPECT_EQ(m.at("cuda.h2d_pinned").verdict, Verdict::kFail);
  EXPECT_NE(m.at("cuda.h2d_pinned").hint.find("Gen3 x8"), std::string::npos);

  // Same slow numbers on a healthy link: the hint turns to the IOMMU and memory backing.
  m = by_name(check_samples(facts("gpu-ok", kGpu), out, {}));
  EXPECT_EQ(m.at("cuda.h2d_pinned").verdict, Verdict::kWarn);
  EXPECT_NE(m.at("cuda.h2d_pinned").hint.find("hugepages"), std::string::npos);
}

TEST(SampleChecks, WrongResultsMissingSamplesAndSlowLaunches) {
  SampleOutput bad = parse_sample_output(
      "membw", R"({"sample":"membw","ok":false,"errors":["triad: 5 wrong elements"],"results":[)"
               R"({"name":"triad","value":1700,"unit":"GB/s","verified":false}]})");
  ASSERT_TRUE(bad.ran);
  auto m = by_name(check_samples(facts("gpu-ok", kGpu), {bad}, {}));
  EXPECT_EQ(m.at("cuda.membw").verdict, Verdict::kFail);
  EXPECT_NE(m.at("cuda.membw").summary.find("wrong result: triad: 5 wrong elements"),
            std::string::npos);

  // A sample that could not use the GPU is a setup failure, not a wrong result.
  const SampleOutput nodev = parse_sample_output(
      "gemm",
      R"({"sample":"gemm","ok":false,"errors":["no CUDA device: driver too old"],"results":[]})");
  m = by_name(check_samples(facts("gpu-ok", kGpu), {nodev}, {}));
  EXPECT_EQ(m.at("cuda.gemm").verdict, Verdict::kFail);
  EXPECT_NE(m.at("cuda.gemm").summary.find("measured nothing: no CUDA device"), std::string::npos);
  EXPECT_NE(m.at("cuda.gemm").hint.find("driver is new enough"), std::string::npos);

  EXPECT_FALSE(parse_sample_output("gemm", "Segmentation fault").ran);
  EXPECT_FALSE(parse_sample_output("gemm", "{not json").ran);
  EXPECT_FALSE(parse_sample_output("gemm", R"({"x":1})").ran);
  // Found by fuzz_cuda_sample_output: a count no integer holds was undefined behaviour.
  for (const char* huge : {R"({"ok":true,"results":[{"name":"a","value":1,"iterations":8.9e31}]})",
                           R"({"ok":true,"results":[],"jobs":[{"id":1e20}]})",
                           R"({"ok":true,"results":[{"name":"a","value":1,"iterations":-1}]})"}) {
    const SampleOutput o = parse_sample_output("gemm", huge);
    EXPECT_FALSE(o.ran) << huge;
    EXPECT_NE(o.problem.find("not an integer"), std::string::npos) << o.problem;
  }

  ProcessRunner pr;
  const SampleOutput missing = run_sample(pr, "/nonexistent", "gemm", kGpu, {}, 10);
  EXPECT_FALSE(missing.ran);
  m = by_name(check_samples(facts("gpu-ok", kGpu), {missing}, {}));
  EXPECT_EQ(m.at("cuda.gemm").verdict, Verdict::kFail);
  EXPECT_NE(m.at("cuda.gemm").hint.find("--samples-dir"), std::string::npos);

  const SampleOutput slow = parse_sample_output(
      "launch",
      R"({"sample":"launch","ok":true,"results":[{"name":"kernel_launch_sync","value":45.0,)"
      R"("unit":"us","higher_is_better":false,"verified":true}]})");
  m = by_name(check_samples(facts("gpu-ok", kGpu), {slow}, {}));
  EXPECT_EQ(m.at("cuda.launch").verdict, Verdict::kWarn);
}

// A sample that exits non-zero is not ok, whatever its JSON says.
TEST(SampleChecks, NonZeroExitOverridesOk) {
  FakeRunner r;
  RunResult res = ok_run(slurp(kFix + "/samples-ok/membw.json"));
  res.exit_code = 1;
  r.answers["--json"] = res;
  const SampleOutput o = run_sample(r, "/x", "membw", kGpu, {"--quick"}, 10);
  EXPECT_TRUE(o.ran);
  EXPECT_FALSE(o.ok);
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0], (std::vector<std::string>{"/x/vfiokit-cuda-membw", "--json", "--device",
                                                  kGpu, "--quick"}));
}

TEST(Subprocess, CapturesOutputStatusAndTimeouts) {
  ProcessRunner r;
  RunResult x = r.run({"sh", "-c", "echo out; echo err >&2; exit 3"}, 10);
  EXPECT_TRUE(x.started);
  EXPECT_EQ(x.exit_code, 3);
  EXPECT_EQ(x.out, "out\n");
  EXPECT_EQ(x.err, "err\n");
  x = r.run({"sleep", "10"}, 1);
  EXPECT_TRUE(x.timed_out);
  x = r.run({"/nonexistent/program"}, 1);
  EXPECT_FALSE(x.started);
  EXPECT_NE(x.err.find("No such file"), std::string::npos);
}

TEST(Report, ReportDocumentCarriesResultsChecksAndContext) {
  DeviceReport d;
  d.facts = facts("gpu-degraded", kGpu);
  d.nvidia_module = "580.95.05";
  d.samples = samples("samples-degraded");
  std::vector<Check> checks = check_device(d.facts, {});
  for (auto& c : check_samples(d.facts, d.samples, {})) checks.push_back(c);
  const std::vector<check::Report> reports = {{kGpu, checks}};
  const nlohmann::json j = make_report({d}, reports, {{"root", "fixture"}});
  EXPECT_EQ(j["verdict"], "FAIL");
  EXPECT_EQ(j["exit_status"], check::kExitFail);
  EXPECT_EQ(j["command"], "guest-check");
  ASSERT_EQ(j["reports"].size(), 1u);
  EXPECT_EQ(j["reports"][0]["subject"], kGpu);
  EXPECT_EQ(j["context"]["root"], "fixture");
  EXPECT_EQ(j["context"]["devices"][0]["link"]["current"]["gen"], 3);
  EXPECT_NEAR(j["context"]["devices"][0]["link"]["max_theoretical_gbs"].get<double>(), 63.0, 0.1);
  bool found = false;
  for (const auto& b : j["benchmarks"]) {
    EXPECT_TRUE(b.contains("name") && b.contains("value") && b.contains("unit") &&
                b.contains("run_type"));
    if (b["name"] == "cuda/bandwidth/h2d/pinned/ce/1GiB") {
      found = true;
      EXPECT_EQ(b["value"], 6.4);
      EXPECT_EQ(b["unit"], "GB/s");
      EXPECT_EQ(b["time_unit"], "us");
      EXPECT_TRUE(b["higher_is_better"]);
    }
  }
  EXPECT_TRUE(found);
  bool failed_job = false;
  for (const auto& c : j["reports"][0]["checks"])
    if (c["id"] == "cuda.concurrency") failed_job = c["verdict"] == "FAIL";
  EXPECT_TRUE(failed_job);
}

}  // namespace
}  // namespace vfiokit::guest
