// What a PCIe link can carry: the theoretical per-direction rate of its
// speed, width and encoding, and a practical limit after packet overhead.
// The numbers a guest check compares measured copy bandwidth against.
#pragma once

#include <string>

#include "vfiokit/vfio/config_space.hpp"

namespace vfiokit::pci {

/// Per-direction bandwidth of one PCIe link configuration, in GB/s (1e9 B/s).
struct LinkBudget {
  double theoretical_gbs = 0;  ///< line rate x width x encoding efficiency / 8
  double practical_gbs = 0;    ///< theoretical less TLP/DLLP overhead at the given MPS
};

/// Encoding efficiency of a link at `gts` GT/s: 8b/10b up to 5 GT/s, 128b/130b
/// for 8..32 GT/s, FLIT mode (242/256) at 64 GT/s; 0 for an unknown rate.
double pcie_encoding_efficiency(double gts);

/// Budget of a link at `gts` GT/s and `width` lanes moving payloads of at most
/// `mps` bytes (Max_Payload_Size). Practical = theoretical x mps/(mps+24) x 0.97:
/// 24 bytes of framing, sequence number, 4-DW header and LCRC per TLP, and ~3%
/// of the link for ACK and flow-control DLLPs. Gen5 x16 at MPS 256: 63.0 / 55.9 GB/s.
LinkBudget link_budget(double gts, unsigned width, unsigned mps);

/// "Gen5 x16 (32 GT/s)", or "unknown" for gen 0.
std::string describe_link(unsigned gen, double gts, unsigned width);
/// The trained (`current`) or the maximum link of `l`, as above.
std::string describe_link(const PcieLink& l, bool current);

/// Parses "gen5x16", "Gen4 x8", "5x16" into (gen, width). Throws vfiokit::Error
/// (EINVAL) naming the text and the expected form otherwise.
std::pair<unsigned, unsigned> parse_link_spec(const std::string& text);

}  // namespace vfiokit::pci
