// vfiokit trace -- COMMAND: the IOMMU's side of what COMMAND did (docs/cli.md "trace").
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tools/host/host_fs.hpp"
#include "tools/host/iommu_trace.hpp"
#include "tools/host/trace_session.hpp"
#include "tools/vfiokit/commands.hpp"
#include "vfio/iommu_fault.hpp"
#include "vfio/kernel_log.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit::cli {
namespace {

volatile sig_atomic_t g_child = 0;

// SIGINT/SIGTERM go to the traced command; vfiokit stays to stop the trace and clean up.
void forward(int sig) {
  if (g_child > 0) ::kill(g_child, sig);
}

// Runs `argv` and waits for it; its exit status (128 + signal when killed, 127 when it
// cannot be started: the shell's convention).
int run_command(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw_error("fork for", argv[0], errno);
  if (pid == 0) {
    ::signal(SIGINT, SIG_DFL), ::signal(SIGTERM, SIG_DFL);
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "vfiokit trace: cannot run %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  g_child = pid;
  struct sigaction sa {};
  sa.sa_handler = forward;
  ::sigaction(SIGINT, &sa, nullptr), ::sigaction(SIGTERM, &sa, nullptr);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw_error("wait for", argv[0], errno);
  g_child = 0;
  ::signal(SIGINT, SIG_DFL), ::signal(SIGTERM, SIG_DFL);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string detail(const host::IommuTraceEvent& e) {
  if (e.event == "map")
    return fmt::format("IOVA {:#x}-{:#x} ({}) -> phys {:#x}", e.iova, e.iova + e.size,
                       host::human_bytes(e.size), e.paddr);
  if (e.event == "unmap")
    return fmt::format("IOVA {:#x}-{:#x} ({}{})", e.iova, e.iova + e.size,
                       host::human_bytes(e.size),
                       e.unmapped == e.size ? "" : ", unmapped " + host::human_bytes(e.unmapped));
  if (e.event == "io_page_fault")
    return fmt::format("{} at IOVA {:#x} flags {:#x}", e.device, e.iova, e.flags);
  return e.device;
}

nlohmann::json event_json(const host::IommuTraceEvent& e, double t0) {
  nlohmann::json j = {
      {"time_ms", (e.time_s - t0) * 1e3}, {"comm", e.comm}, {"pid", e.pid}, {"event", e.event}};
  if (e.event == "map" || e.event == "unmap") j["iova"] = e.iova, j["size"] = e.size;
  if (e.event == "map") j["paddr"] = e.paddr;
  if (e.event == "unmap") j["unmapped"] = e.unmapped;
  if (!e.device.empty()) j["device"] = e.device;
  if (e.event == "io_page_fault") j["iova"] = e.iova, j["flags"] = e.flags;
  return j;
}

void print_text(const GlobalOptions& g, const std::vector<std::string>& command, int status,
                const std::vector<host::IommuTraceEvent>& events,
                const std::vector<IommuFault>& faults) {
  const Painter p(g.color);
  std::printf(
      "%s\n",
      p.bold(fmt::format("IOMMU trace of: {} (exit {})", fmt::join(command, " "), status)).c_str());
  Table t;
  t.add({p.dim("ms"), p.dim("task"), p.dim("event"), p.dim("detail")});
  const double t0 = events.empty() ? 0 : events.front().time_s;
  for (const auto& e : events)
    t.add({fmt::format("{:.3f}", (e.time_s - t0) * 1e3), fmt::format("{}-{}", e.comm, e.pid),
           e.event == "attach_device_to_domain" ? "attach" : e.event, detail(e)});
  t.print(stdout, "  ");
  for (const auto& f : faults) std::printf("  kernel log: %s\n", describe(f).c_str());
  const auto s = host::summarize(events);
  std::string left = "none";
  if (!s.left_mapped.empty()) {
    left.clear();
    for (const auto& [iova, size] : s.left_mapped)
      left += fmt::format("{}{:#x}+{}", left.empty() ? "" : ", ", iova, host::human_bytes(size));
  }
  std::printf(
      "%u map(s) (%s), %u unmap(s) (%s), %u fault(s) traced, %zu in the kernel log; devices: "
      "%s; left mapped: %s\n",
      s.maps, host::human_bytes(s.mapped_bytes).c_str(), s.unmaps,
      host::human_bytes(s.unmapped_bytes).c_str(), s.faults, faults.size(),
      s.devices.empty() ? "none" : fmt::format("{}", fmt::join(s.devices, ", ")).c_str(),
      left.c_str());
}

}  // namespace

int run_trace(const GlobalOptions& g, const std::vector<std::string>& command) {
  KernelLog
      klog;  // the kernel's fault records while the command runs (VT-d logs, not traces, them)
  std::optional<host::TraceSession> session;
  try {
    session.emplace(
        std::vector<std::string>{"map", "unmap", "attach_device_to_domain", "io_page_fault"});
  } catch (const Error& e) {
    std::fprintf(stderr, "vfiokit trace: %s\n", e.what());
    return check::kExitCouldNotRun;
  }
  const int status = run_command(command);
  std::vector<host::IommuTraceEvent> events;
  for (const auto& line : session->stop_and_read())
    if (auto e = host::parse_iommu_trace_line(line)) events.push_back(std::move(*e));
  session.reset();
  std::vector<IommuFault> faults;
  for (const auto& r : klog.records())
    if (r.from_kernel())
      if (auto f = parse_iommu_fault(r.text)) faults.push_back(std::move(*f));
  if (!g.json) {
    print_text(g, command, status, events, faults);
    return status;
  }
  const auto s = host::summarize(events);
  nlohmann::json je = nlohmann::json::array(), jf = nlohmann::json::array(),
                 jl = nlohmann::json::array();
  const double t0 = events.empty() ? 0 : events.front().time_s;
  for (const auto& e : events) je.push_back(event_json(e, t0));
  for (const auto& f : faults) jf.push_back(describe(f));
  for (const auto& [iova, size] : s.left_mapped) jl.push_back({{"iova", iova}, {"size", size}});
  print_json({{"command", command},
              {"exit_status", status},
              {"events", je},
              {"kernel_faults", jf},
              {"summary",
               {{"maps", s.maps},
                {"unmaps", s.unmaps},
                {"mapped_bytes", s.mapped_bytes},
                {"unmapped_bytes", s.unmapped_bytes},
                {"faults", s.faults},
                {"devices", s.devices},
                {"left_mapped", jl}}}});
  return status;
}

}  // namespace vfiokit::cli
