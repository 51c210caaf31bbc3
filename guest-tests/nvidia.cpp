#include "guest-tests/nvidia.hpp"

#include <fstream>
#include <limits>
#include <regex>
#include <sstream>

#include "vfio/text_parse.hpp"
#include "vfiokit/vfio/pci_address.hpp"

namespace vfiokit::guest {
namespace {

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  const auto e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// 0 for "[N/A]" and the like (vfio/text_parse.hpp: "12abc" is not 12).
unsigned to_unsigned(const std::string& s) {
  const auto v = parse_u64(s);
  return v && *v <= std::numeric_limits<unsigned>::max() ? static_cast<unsigned>(*v) : 0;
}

}  // namespace

std::optional<std::string> nvidia_module_version(const std::filesystem::path& root) {
  std::ifstream in(root / "proc/driver/nvidia/version");
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  // "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.95.05  Tue Sep ..." (or "... Open Kernel
  // Module for x86_64  580.95.05 ...")
  static const std::regex ver(R"(Kernel Module(?: for \S+)?\s+([0-9]+(?:\.[0-9]+)+))");
  std::smatch m;
  if (std::regex_search(line, m, ver)) return m[1].str();
  return std::nullopt;
}

std::vector<std::string> nvidia_smi_query_argv(const std::string& program) {
  return {program,
          "--query-gpu=pci.bus_id,name,driver_version,pcie.link.gen.current,pcie.link.gen.max,"
          "pcie.link.width.current,pcie.link.width.max,memory.total",
          "--format=csv,noheader,nounits"};
}

std::vector<SmiGpu> parse_nvidia_smi_csv(const std::string& text) {
  std::vector<SmiGpu> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::istringstream ls(line);
    std::string cell;
    while (std::getline(ls, cell, ',')) f.push_back(trim(cell));
    if (f.size() < 8) continue;
    SmiGpu g;
    // nvidia-smi writes an 8-digit domain: 00000000:01:00.0.
    std::string bus = f[0];
    if (bus.size() == 16 && bus[8] == ':') bus = bus.substr(4);
    try {
      g.bdf = normalize_bdf(bus);
    } catch (const std::exception&) {
      continue;
    }
    g.name = f[1];
    g.driver_version = f[2];
    g.link_gen_cur = to_unsigned(f[3]);
    g.link_gen_max = to_unsigned(f[4]);
    g.link_width_cur = to_unsigned(f[5]);
    g.link_width_max = to_unsigned(f[6]);
    try {
      g.memory_mib = std::stod(f[7]);
    } catch (const std::exception&) {
    }
    out.push_back(g);
  }
  return out;
}

std::string parse_nvidia_smi_version(const std::string& text) {
  static const std::regex ver(R"(NVIDIA-SMI version\s*:\s*(\S+))");
  std::smatch m;
  if (std::regex_search(text, m, ver)) return m[1].str();
  return {};
}

SmiReport query_nvidia_smi(CommandRunner& runner, const std::string& program) {
  SmiReport r;
  const RunResult v = runner.run({program, "--version"}, 30);
  r.version = parse_nvidia_smi_version(v.out);
  const RunResult q = runner.run(nvidia_smi_query_argv(program), 60);
  r.ran = q.started && q.exit_code == 0 && !q.timed_out;
  if (!q.started)
    r.error = q.err.empty() ? program + " not found" : q.err;
  else if (q.timed_out || q.interrupted_by != 0 || q.did_not_exit)
    r.error = program + " did not answer: " + q.problem();
  else if (!r.ran)
    r.error = trim(q.out + "\n" + q.err).empty()
                  ? "exited with status " + std::to_string(q.exit_code)
                  : trim(q.out + "\n" + q.err);
  r.gpus = parse_nvidia_smi_csv(q.out);
  return r;
}

}  // namespace vfiokit::guest
