// The fleet outputs of `vfiokit check`: Kubernetes label syntax, the node labels
// and NFD feature file, the Prometheus text and the atomic file write.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/cli_run.hpp"
#include "tests/support/fixture_tree.hpp"
#include "tools/host/atomic_file.hpp"
#include "tools/host/device_checks.hpp"
#include "tools/host/fleet_facts.hpp"
#include "tools/host/host_checks.hpp"
#include "tools/host/node_labels.hpp"
#include "tools/host/prometheus_text.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit::host {
namespace {

namespace sfs = std::filesystem;
using fixtures::FixtureTree;
using fixtures::HostSpec;

std::vector<check::Report> check_all(const FixtureTree& h) {
  const HostFs fs(h.root());
  std::vector<check::Report> groups = {run_host_checks(fs)};
  for (const char* bdf : {"0000:01:00.0", "0000:01:00.1", "0000:02:00.0"})
    groups.push_back(run_device_checks(fs, bdf));
  return groups;
}

std::string slurp(const sfs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

TEST(LabelSyntax, ValidKeysAndValues) {
  for (const char* k : {"vfiokit.io/iommu", "vfiokit.io/pci-10de_2206.ready", "a", "A-b_c.d9",
                        "feature.node.kubernetes.io/x", "a.b-c.d/E", "x/y"})
    EXPECT_EQ(label_key_error(k), std::nullopt) << k;
  EXPECT_EQ(label_key_error("p/" + std::string(63, 'n')), std::nullopt);
  EXPECT_EQ(label_key_error(std::string(253, 'p') + "/n"), std::nullopt);
  for (const char* v : {"", "on", "0.2.0", "dma-fq", "A_b.c-9"})
    EXPECT_EQ(label_value_error(v), std::nullopt) << v;
  EXPECT_EQ(label_value_error(std::string(63, 'v')), std::nullopt);
}

TEST(LabelSyntax, InvalidKeysAndValuesSayWhy) {
  for (const char* k : {"", "/", "p/", "/n", "-a", "a-", "a b", "a/b/c", "Vfiokit.io/x", "a..b/x",
                        "-a.b/x", "a_b.io/x", "vfiokit.io/x=y", "vfiokit.io/.x", "\xc3\xa9"})
    EXPECT_NE(label_key_error(k), std::nullopt) << "accepted key '" << k << "'";
  EXPECT_NE(label_key_error("p/" + std::string(64, 'n')), std::nullopt);
  EXPECT_NE(label_key_error(std::string(254, 'p') + "/n"), std::nullopt);
  for (const char* v : {"-on", "on-", "a b", "a/b", "a:b", "\"x\""})
    EXPECT_NE(label_value_error(v), std::nullopt) << "accepted value '" << v << "'";
  EXPECT_NE(label_value_error(std::string(64, 'v')), std::nullopt);
  const auto e = label_key_error("vfiokit.io/a:b");
  ASSERT_TRUE(e);
  EXPECT_NE(e->find("':'"), std::string::npos) << *e;
}

TEST(LabelSyntax, NfdWantsAPrefixOutsideKubernetesIo) {
  EXPECT_EQ(nfd_label_key_error("vfiokit.io/iommu"), std::nullopt);
  EXPECT_EQ(nfd_label_key_error("feature.node.kubernetes.io/x"), std::nullopt);
  EXPECT_EQ(nfd_label_key_error("sub.profile.node.kubernetes.io/x"), std::nullopt);
  EXPECT_NE(nfd_label_key_error("iommu"), std::nullopt);
  EXPECT_NE(nfd_label_key_error("kubernetes.io/x"), std::nullopt);
  EXPECT_NE(nfd_label_key_error("node.kubernetes.io/x"), std::nullopt);
  EXPECT_NE(nfd_label_key_error("k8s.io/x"), std::nullopt);
  EXPECT_EQ(nfd_label_key_error("notkubernetes.io/x"), std::nullopt);
}

TEST(FleetFacts, CleanHost) {
  FixtureTree h;
  fixtures::build_host(h);
  h.file("sys/kernel/iommu_groups/1/type", "DMA-FQ\n");
  h.file("sys/kernel/iommu_groups/2/type", "DMA-FQ\n");
  const FleetFacts f = fleet_facts(check_all(h));
  EXPECT_EQ(f.iommu, "on");
  EXPECT_EQ(f.iommu_mode, "dma-fq");
  EXPECT_EQ(f.interrupt_remapping, "on");
  EXPECT_TRUE(f.vfio);
  ASSERT_EQ(f.devices.size(), 3u);
  for (const auto& d : f.devices) EXPECT_TRUE(d.ready) << d.bdf;
  EXPECT_EQ(pci_id(f.devices[0]), "10de:2206");
  EXPECT_TRUE(f.devices[0].on_vfio);
  EXPECT_FALSE(f.devices[2].on_vfio);  // the NVMe is on nvme
}

// The facts of a fixture host built from `s`.
FleetFacts facts_of(const HostSpec& s) {
  FixtureTree h;
  fixtures::build_host(h, s);
  return fleet_facts(check_all(h));
}

TEST(FleetFacts, EachBlockerKeepsADeviceFromReady) {
  {
    HostSpec s;
    s.audio_driver = "snd_hda_intel";  // the GPU's group is not viable
    const FleetFacts f = facts_of(s);
    EXPECT_FALSE(f.devices[0].ready);
    EXPECT_EQ(f.devices[0].blockers, std::vector<std::string>{"device.iommu_group"});
  }
  {
    HostSpec s;
    s.efifb_on_gpu = true;
    EXPECT_EQ(facts_of(s).devices[0].blockers, std::vector<std::string>{"device.framebuffer"});
  }
  {
    HostSpec s;
    s.gpu_flr = false;
    s.gpu_reset_method = "";  // no method at all: WARN, not resettable
    EXPECT_EQ(facts_of(s).devices[0].blockers, std::vector<std::string>{"device.reset"});
  }
  {
    HostSpec s;
    s.gpu_bar3_unplaced = true;  // a BAR without an address: a VM cannot map it
    EXPECT_EQ(facts_of(s).devices[0].blockers, std::vector<std::string>{"device.bars"});
  }
  {
    HostSpec s;
    s.gpu_flr = false;
    s.gpu_reset_method = "bus";  // WARN, but a bus reset is a reset
    EXPECT_TRUE(facts_of(s).devices[0].ready);
  }
  {
    FixtureTree h;
    HostSpec s;
    s.iommu = false;
    s.interrupt_remapping = false;
    fixtures::build_host(h, s);
    const FleetFacts f = fleet_facts(check_all(h));
    EXPECT_EQ(f.iommu, "off");
    EXPECT_EQ(f.interrupt_remapping, "off");
    for (const auto& d : f.devices) EXPECT_FALSE(d.ready) << d.bdf;
  }
}

TEST(NodeLabels, EveryLabelIsValidAndCountsFollowTheVerdicts) {
  FixtureTree h;
  HostSpec s;
  s.audio_driver = "snd_hda_intel";
  fixtures::build_host(h, s);
  const auto labels = node_labels(fleet_facts(check_all(h)), "0.2.0");
  for (const auto& [k, v] : labels) {
    EXPECT_EQ(nfd_label_key_error(k), std::nullopt) << k;
    EXPECT_EQ(label_value_error(v), std::nullopt) << k << "=" << v;
  }
  EXPECT_EQ(labels.at("vfiokit.io/iommu"), "on");
  EXPECT_EQ(labels.at("vfiokit.io/iommu-mode"), "unknown");  // no group `type` in the fixture
  EXPECT_EQ(labels.at("vfiokit.io/interrupt-remapping"), "on");
  EXPECT_EQ(labels.at("vfiokit.io/iommufd"), "true");          // the fixture has /dev/iommu
  EXPECT_EQ(labels.at("vfiokit.io/vfio-container"), "type1");  // vfio_iommu_type1 loaded
  EXPECT_EQ(labels.at("vfiokit.io/vfio-cdev"), "unknown");     // no device, no kernel config
  EXPECT_EQ(labels.at("vfiokit.io/version"), "0.2.0");
  EXPECT_EQ(labels.at("vfiokit.io/pci-10de_2206.devices"), "1");
  EXPECT_EQ(labels.at("vfiokit.io/pci-10de_2206.ready"), "0");  // its audio is on snd_hda_intel
  EXPECT_EQ(labels.at("vfiokit.io/pci-10de_2206.vfio-pci"), "1");
  EXPECT_EQ(labels.at("vfiokit.io/pci-10de_1aef.vfio-pci"), "0");
  EXPECT_EQ(labels.at("vfiokit.io/pci-144d_a808.ready"), "1");
  EXPECT_EQ(labels.at("vfiokit.io/passthrough-ready"), "2");
}

TEST(NodeLabels, FeatureFileHasExpiryAndRefusesBadLabels) {
  const std::map<std::string, std::string> labels = {{"vfiokit.io/iommu", "on"},
                                                     {"vfiokit.io/pci-1b36_0010.ready", "1"}};
  const std::string f = nfd_feature_file(labels, 1796083800, 3600, "0.2.0");
  EXPECT_NE(f.find("\n# +expiry-time=2026-12-01T01:10:00Z\n"), std::string::npos) << f;
  EXPECT_NE(f.find("\nvfiokit.io/iommu=on\nvfiokit.io/pci-1b36_0010.ready=1\n"), std::string::npos)
      << f;
  for (std::istringstream in(f); !in.eof();) {  // comments or key=value only
    std::string line;
    std::getline(in, line);
    if (line.empty() || line[0] == '#') continue;
    EXPECT_EQ(label_key_error(line.substr(0, line.find('='))), std::nullopt) << line;
  }
  EXPECT_THROW(nfd_feature_file({{"vfiokit.io/x", "a b"}}, 0, 60, "0.2.0"), Error);
  EXPECT_THROW(nfd_feature_file({{"iommu", "on"}}, 0, 60, "0.2.0"), Error);
  EXPECT_EQ(rfc3339_utc(0), "1970-01-01T00:00:00Z");
}

TEST(Prometheus, Escaping) {
  EXPECT_EQ(escape_label_value(R"(a\b"c)"), R"(a\\b\"c)");
  EXPECT_EQ(escape_label_value("a\nb"), R"(a\nb)");
  EXPECT_EQ(escape_help("a\\b\"c\nd"), "a\\\\b\"c\\nd");
}

TEST(Prometheus, TextHasEveryFamilyAndTheVerdicts) {
  FixtureTree h;
  HostSpec s;
  s.audio_driver = "snd_hda_intel";
  fixtures::build_host(h, s);
  const auto groups = check_all(h);
  const std::string t = prometheus_text(groups, fleet_facts(groups), "0.2.0", 1764547800);
  for (const char* line :
       {"# TYPE vfiokit_build_info gauge\nvfiokit_build_info{version=\"0.2.0\"} 1\n",
        "vfiokit_host_check{check=\"host.iommu\",verdict=\"pass\"} 1\n",
        "vfiokit_host_check{check=\"host.iommu\",verdict=\"fail\"} 0\n",
        "vfiokit_device_check{check=\"device.iommu_group\",device=\"0000:01:00.0\","
        "pci_id=\"10de:2206\",class=\"030000\",verdict=\"fail\"} 1\n",
        "vfiokit_device_passthrough_ready{device=\"0000:01:00.0\",pci_id=\"10de:2206\","
        "class=\"030000\"} 0\n",
        "vfiokit_device_passthrough_ready{device=\"0000:02:00.0\",pci_id=\"144d:a808\","
        "class=\"010802\"} 1\n",
        "vfiokit_pci_devices{pci_id=\"10de:2206\"} 1\n",
        "vfiokit_pci_devices_passthrough_ready{pci_id=\"10de:2206\"} 0\n",
        "vfiokit_iommu_enabled 1\n", "vfiokit_interrupt_remapping_enabled 1\n",
        "vfiokit_vfio_interface_available{interface=\"container_type1\"} 1\n",
        "vfiokit_vfio_interface_available{interface=\"container_iommufd\"} 0\n",
        "vfiokit_vfio_interface_available{interface=\"iommufd\"} 1\n",
        "vfiokit_last_check_timestamp_seconds 1764547800\n"})
    EXPECT_NE(t.find(line), std::string::npos) << "missing: " << line << "\nin:\n" << t;
  // Each verdict is counted once per check.
  size_t checks = 0;
  for (const auto& g : groups) checks += g.checks.size();
  size_t ones = 0;
  for (std::istringstream in(t); !in.eof();) {
    std::string line;
    std::getline(in, line);
    if (line.rfind("vfiokit_checks{", 0) == 0) ones += std::stoul(line.substr(line.rfind(' ')));
  }
  EXPECT_EQ(ones, checks);
}

// promtool (Debian's prometheus package, ci/install-deps) accepts the file; the VM
// test vm.fleet.prometheus_roundtrip runs it unconditionally on a real guest's file.
TEST(Prometheus, PromtoolAcceptsTheText) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "no promtool: run ci/install-deps";
  FixtureTree h;
  HostSpec s;
  s.audio_driver = "snd_hda_intel";
  fixtures::build_host(h, s);
  const auto groups = check_all(h);
  const sfs::path p = h.root() / "vfiokit.prom";
  write_file_atomically(p, prometheus_text(groups, fleet_facts(groups), "0.2.0\"x\ny", 1));
  const std::string cmd = "promtool check metrics < " + p.string() + " >/dev/null 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << "promtool rejects " << p;
  // Negative control: a family without its samples' escaping is rejected.
  std::ofstream(h.root() / "broken.prom") << "vfiokit_x{a=\"b\"c\"} 1\n";
  const std::string bad =
      "promtool check metrics < " + (h.root() / "broken.prom").string() + " >/dev/null 2>&1";
  EXPECT_NE(std::system(bad.c_str()), 0);
}

TEST(AtomicFile, ReplacesTheFileAndLeavesNoTemporary) {
  FixtureTree h;
  const sfs::path p = h.root() / "features.d" / "vfiokit";
  sfs::create_directories(p.parent_path());
  write_file_atomically(p, "a=1\n");
  write_file_atomically(p, "a=2\n");
  EXPECT_EQ(slurp(p), "a=2\n");
  struct stat st {};
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : sfs::directory_iterator(p.parent_path())) ++n;
  EXPECT_EQ(n, 1u);
}

TEST(AtomicFile, MissingDirectoryIsNamed) {
  FixtureTree h;
  const sfs::path p = h.root() / "no-such-dir" / "vfiokit.prom";
  try {
    write_file_atomically(p, "x");
    FAIL() << "wrote into a missing directory";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find((h.root() / "no-such-dir").string()), std::string::npos)
        << e.what();
    EXPECT_NE(e.hint().find("writable"), std::string::npos) << e.hint();
  }
}

TEST(FleetCli, CheckAllWritesBothFiles) {
  FixtureTree h;
  fixtures::build_host(h);
  const sfs::path nfd = h.root() / "out" / "vfiokit";
  const sfs::path prom = h.root() / "out" / "vfiokit.prom";
  sfs::create_directories(nfd.parent_path());
  EXPECT_EQ(run_cli("--root " + h.root().string() + " check --all --nfd " + nfd.string() +
                    " --prometheus " + prom.string())
                .status,
            1);  // the audio function has only a bus reset: WARN
  const std::string labels = slurp(nfd);
  EXPECT_NE(labels.find("\nvfiokit.io/pci-10de_2206.ready=1\n"), std::string::npos) << labels;
  EXPECT_NE(labels.find("\nvfiokit.io/pci-144d_a808.devices=1\n"), std::string::npos) << labels;
  EXPECT_EQ(labels.find("pci-8086_"), std::string::npos) << "bridges are not checked:\n" << labels;
  EXPECT_NE(slurp(prom).find("vfiokit_pci_devices_passthrough_ready{pci_id=\"10de:1aef\"} 1\n"),
            std::string::npos);
  // An unwritable destination is exit 3 with the directory named, not a silent success.
  const CliRun bad = run_cli(
      "--root " + h.root().string() + " check --nfd " + (h.root() / "missing" / "f").string(),
      true);
  EXPECT_EQ(bad.status, 3);
  EXPECT_NE(bad.out.find((h.root() / "missing").string()), std::string::npos) << bad.out;
}

}  // namespace
}  // namespace vfiokit::host
