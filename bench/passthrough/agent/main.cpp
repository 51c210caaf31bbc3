// vfiokit-passthrough-agent: the guest agent of bench/passthrough (PID 1 of the
// benchmark guests), its network peer, and the report writer. Statically linked,
// so the same file runs in the guest, in the test-bed "host" VM and on a real host.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "block_workload.hpp"
#include "guest_init.hpp"
#include "net_workload.hpp"
#include "report.hpp"

using namespace vfiokit::passthrough;

namespace {

// What `serve` was asked: one connection on stdio, or listen on an address.
struct ServeArgs {
  bool stdio = false;
  std::string address = "127.0.0.1";
  std::uint16_t port = 5201;
};

CLI::App* add_serve(CLI::App& app, ServeArgs& a) {
  auto* serve =
      app.add_subcommand("serve", "network peer: verify the guest's streams, echo its requests");
  serve->add_flag("--stdio", a.stdio,
                  "serve one connection on stdin/stdout (QEMU guestfwd=...-cmd:)");
  serve->add_option("--listen", a.address, "IPv4 address to listen on");
  serve->add_option("--port", a.port, "TCP port (0: any free one, printed)");
  return serve;
}

CLI::App* add_block(CLI::App& app, BlockConfig& bc) {
  auto* block =
      app.add_subcommand("block", "run the block workloads on a disk here (not in a guest)");
  block
      ->add_option("--device", bc.device,
                   "block device, e.g. /dev/nvme0n1 (its data is overwritten)")
      ->required();
  block->add_option("--mib", bc.region_mib, "region written, read back and read at random");
  block->add_option("--bs-kib", bc.block_kib, "sequential block size");
  block->add_option("--secs", bc.random_seconds, "time budget of each random-read workload");
  block->add_option("--qd", bc.queue_depth, "queue depth of the deep random read");
  return block;
}

CLI::App* add_net(CLI::App& app, NetConfig& nc) {
  auto* net = app.add_subcommand("net", "run the network workloads against a peer from here");
  net->add_option("--peer-ip", nc.peer_ip, "peer IPv4 address")->required();
  net->add_option("--peer-port", nc.peer_port, "peer TCP port");
  net->add_option("--mib", nc.stream_mib, "bytes of each stream");
  net->add_option("--secs", nc.rr_seconds, "time budget of the round trips");
  return net;
}

// `run_specs` gets the --run CONFIG=FILE arguments, split by run_report.
CLI::App* add_report(CLI::App& app, ReportRequest& rq, std::vector<std::string>& run_specs) {
  auto* report =
      app.add_subcommand("report", "merge run outputs into benchmark JSON, a table and a plot");
  report->add_option("--kind", rq.kind, "device kind: nvme or nic")->required();
  report
      ->add_option("--run", run_specs,
                   "CONFIG=FILE of agent output; the first is the passthrough run")
      ->required();
  report->add_option("--expect", rq.expect, "workloads every run must report")->delimiter(',');
  report->add_option("--context", rq.context_file, "key=value lines added to the JSON context");
  report->add_option("--json", rq.json_out, "benchmark JSON output");
  report->add_option("--table", rq.table_out, "table output (also printed)");
  report->add_option("--plot", rq.plot_prefix,
                     "write PREFIX.dat and PREFIX.gp (gnuplot PREFIX.gp -> PREFIX.png)");
  return report;
}

int run_report(ReportRequest& rq, const std::vector<std::string>& run_specs) {
  for (const std::string& s : run_specs) {
    auto eq = s.find('=');
    if (eq == std::string::npos)
      throw std::runtime_error("--run '" + s + "': expected CONFIG=FILE");
    rq.runs.emplace_back(s.substr(0, eq), s.substr(eq + 1));
  }
  return write_report(rq);
}

}  // namespace

int main(int argc, char** argv) {
  if (getpid() == 1) guest_main();

  CLI::App app{"vfiokit passthrough benchmark agent (guest side, network peer, report writer)"};
  app.require_subcommand(1);
  ServeArgs sa;
  BlockConfig bc;
  NetConfig nc;
  ReportRequest rq;
  std::vector<std::string> run_specs;
  auto* serve = add_serve(app, sa);
  auto* block = add_block(app, bc);
  auto* net = add_net(app, nc);
  auto* report = add_report(app, rq, run_specs);

  CLI11_PARSE(app, argc, argv);
  auto print = [](const Measurement& m) { std::printf("%s\n", m.to_json().dump().c_str()); };
  try {
    if (*serve) {
      if (sa.stdio) return serve_connection(0, 1) ? 0 : 1;
      serve_forever(sa.address, sa.port);
    }
    if (*block) {
      run_block_workloads(bc, print);
      return 0;
    }
    if (*net) {
      run_net_workloads(nc, print);
      return 0;
    }
    if (*report) return run_report(rq, run_specs);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vfiokit-passthrough-agent: error: %s\n", e.what());
    return 2;
  }
  return 0;
}
